package io.github.litestreamspring.autoconfigure;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceInitializationAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.lifecycle.LitestreamStartupRestore;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What docs/operations.md promises an application's own tests and start-up scripts: with
 * {@code litestream.enabled=false} nothing is restored, written or leased, and {@code spring.sql.init}
 * scripts (like Flyway, through the DataSource bean) run against the restored database, after the restore.
 */
class LitestreamInApplicationTestsTests {

	@TempDir
	Path dir;

	private WebApplicationContextRunner runner() {
		return new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					DataSourceInitializationAutoConfiguration.class, LitestreamAutoConfiguration.class,
					LitestreamHealthContributorAutoConfiguration.class, LitestreamEndpointAutoConfiguration.class,
					LitestreamMetricsAutoConfiguration.class))
			.withBean(SimpleMeterRegistry.class)
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica"),
					"litestream.replicas[0].sync-interval=50ms", "litestream.monitor-interval=50ms",
					"management.endpoints.web.exposure.include=litestream");
	}

	@Test
	void disabledNeverRestoresWritesOrLeasesTheReplica() throws Exception {
		backUpTwoNotesAndLoseTheDisk();
		Map<Path, String> replicaBefore = contents(this.dir.resolve("replica"));
		assertThat(replicaBefore.keySet().stream().map(Path::toString)).contains("lease.json");
		runner().withPropertyValues("litestream.enabled=false").run((context) -> {
			assertThat(context).hasNotFailed()
				.doesNotHaveBean(LitestreamReplication.class)
				.doesNotHaveBean(LitestreamStartupRestore.class)
				.doesNotHaveBean("litestreamHealthIndicator")
				.doesNotHaveBean(io.github.litestreamspring.actuate.endpoint.LitestreamEndpoint.class)
				.doesNotHaveBean(io.github.litestreamspring.metrics.LitestreamMetrics.class);
			context.start();
			// Not restored: the application starts on an empty database of its own.
			try (Connection c = context.getBean(DataSource.class).getConnection(); Statement st = c.createStatement()) {
				assertThat(tables(st)).doesNotContain("notes");
				st.execute("CREATE TABLE other (id INTEGER PRIMARY KEY)");
				st.execute("INSERT INTO other VALUES (1)");
			}
			// Pooled connections are left as the application configured them.
			assertThat(context.getBean(HikariDataSource.class).getDataSourceProperties())
				.doesNotContainKey("wal_autocheckpoint");
		});
		assertThat(contents(this.dir.resolve("replica"))).as("replica untouched: no upload, no lease")
			.isEqualTo(replicaBefore);
		assertThat(this.dir.resolve(".app.db-litestream")).as("no local state").doesNotExist();
	}

	@Test
	void disabledNeedsNeitherTheAwsSdkNorAnS3Client() {
		runner().withClassLoader(new FilteredClassLoader("software.amazon.awssdk"))
			.withPropertyValues("litestream.enabled=false", "litestream.replicas[0].url=s3://no-such-bucket/app.db")
			.run((context) -> {
				assertThat(context).hasNotFailed().doesNotHaveBean(LitestreamReplication.class);
				try (Connection c = context.getBean(DataSource.class).getConnection()) {
					assertThat(c.isValid(1)).isTrue();
				}
			});
	}

	@Test
	void schemaAndDataScriptsRunAgainstTheRestoredDatabase() throws Exception {
		backUpTwoNotesAndLoseTheDisk();
		Path schema = Files.writeString(this.dir.resolve("schema.sql"),
				"CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT);\n");
		Path data = Files.writeString(this.dir.resolve("data.sql"),
				"INSERT INTO notes (body) VALUES ('from data.sql');\n");
		// An application bean that reads at startup is created first (user configuration precedes
		// auto-configuration): it pulls in JdbcTemplate, the script initializer and the DataSource.
		runner().withConfiguration(AutoConfigurations.of(JdbcTemplateAutoConfiguration.class))
			.withUserConfiguration(ReadsNotesAtStartup.class)
			.withPropertyValues("spring.sql.init.mode=always", "spring.sql.init.schema-locations=file:" + schema,
					"spring.sql.init.data-locations=file:" + data)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(LitestreamStartupRestore.class).result().outcome())
					.isEqualTo(RestoreResult.Outcome.RESTORED);
				try (Connection c = context.getBean(DataSource.class).getConnection();
						Statement st = c.createStatement()) {
					assertThat(bodies(st)).containsExactly("first", "second", "from data.sql");
				}
				assertThat(context.getBean(ReadsNotesAtStartup.class).countAtStartup).isEqualTo(3);
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class ReadsNotesAtStartup {

		final Integer countAtStartup;

		ReadsNotesAtStartup(JdbcTemplate jdbc) {
			this.countAtStartup = jdbc.queryForObject("SELECT COUNT(*) FROM notes", Integer.class);
		}

	}

	/** Replicates a database with two notes to the file replica, stops gracefully, deletes the database. */
	private void backUpTwoNotesAndLoseTheDisk() throws Exception {
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			context.start();
			try (Connection c = context.getBean(DataSource.class).getConnection(); Statement st = c.createStatement()) {
				st.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
				st.execute("INSERT INTO notes (body) VALUES ('first'), ('second')");
			}
			context.getBean(LitestreamReplication.class).replicator().syncNow();
		});
		for (String suffix : List.of("", "-wal", "-shm")) {
			Files.deleteIfExists(this.dir.resolve("app.db" + suffix));
		}
		deleteRecursively(this.dir.resolve(".app.db-litestream"));
	}

	private static List<String> tables(Statement st) throws Exception {
		try (ResultSet rs = st.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'")) {
			List<String> names = new java.util.ArrayList<>();
			while (rs.next()) {
				names.add(rs.getString(1));
			}
			return names;
		}
	}

	private static List<String> bodies(Statement st) throws Exception {
		try (ResultSet rs = st.executeQuery("SELECT body FROM notes ORDER BY id")) {
			List<String> bodies = new java.util.ArrayList<>();
			while (rs.next()) {
				bodies.add(rs.getString(1));
			}
			return bodies;
		}
	}

	/** Every file under {@code root}, relative, with its size and content hash. */
	private static Map<Path, String> contents(Path root) throws IOException {
		try (Stream<Path> files = Files.walk(root)) {
			Map<Path, String> contents = new TreeMap<>();
			files.filter(Files::isRegularFile).forEach((f) -> {
				try {
					contents.put(root.relativize(f), Files.size(f) + ":" + java.util.Arrays.hashCode(Files.readAllBytes(f)));
				}
				catch (IOException ex) {
					throw new UncheckedIOException(ex);
				}
			});
			return contents;
		}
	}

	private static void deleteRecursively(Path root) throws IOException {
		if (!Files.exists(root)) {
			return;
		}
		try (Stream<Path> files = Files.walk(root)) {
			for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
				Files.delete(p);
			}
		}
	}

}
