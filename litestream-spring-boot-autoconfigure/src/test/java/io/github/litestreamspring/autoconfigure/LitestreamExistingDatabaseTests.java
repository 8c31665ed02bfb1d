package io.github.litestreamspring.autoconfigure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.lifecycle.LitestreamStartupRestore;

/**
 * What startup does with a file that already sits at the database path: an empty file is no database,
 * a file that is not SQLite fails naming it, a copy the replica has moved past is restored over, and a
 * fork (each side holds commits the other lacks) fails startup unless a property chooses.
 */
class LitestreamExistingDatabaseTests {

	@TempDir
	Path dir;

	private Path db() {
		return this.dir.resolve("app.db");
	}

	private ApplicationContextRunner runner(String... properties) {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, LitestreamAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + db(),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica"), "litestream.monitor-interval=50ms")
			.withPropertyValues(properties);
	}

	/** Runs the application once: writes the notes, waits until they are in the replica, stops cleanly. */
	private void write(String... notes) {
		write(null, notes);
	}

	/** As {@link #write(String...)}, copying the data directory to {@code copy} (as a volume snapshot would) at the end. */
	private void write(Path copy, String... notes) {
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			context.start();
			try (Connection c = context.getBean(DataSource.class).getConnection(); Statement st = c.createStatement()) {
				st.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)");
				for (String note : notes) {
					st.execute("INSERT INTO notes (body) VALUES ('" + note + "')");
				}
			}
			context.getBean(LitestreamReplication.class).replicator().syncNow();
			if (copy != null) {
				copyTree(this.dir, copy, "replica");
			}
		});
	}

	private void deleteDatabaseFiles() throws IOException {
		for (String name : List.of("app.db", "app.db-wal", "app.db-shm")) {
			Files.deleteIfExists(this.dir.resolve(name));
		}
		deleteTree(this.dir.resolve(".app.db-litestream"));
	}

	/** The application's volume comes back as it was when {@code copy} was taken (crash-consistent). */
	private void bringBackOldVolume(Path copy) throws IOException {
		deleteDatabaseFiles();
		copyTree(copy, this.dir, null);
	}

	@Test
	void anEmptyFileAtTheDatabasePathIsTreatedAsMissing() throws Exception {
		write("one", "two");
		deleteDatabaseFiles();
		Files.createFile(db());
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(LitestreamStartupRestore.class).result().outcome())
				.isEqualTo(RestoreResult.Outcome.RESTORED);
			assertThat(notes(context.getBean(DataSource.class))).containsExactly("one", "two");
		});
	}

	@Test
	void aFileThatIsNotSqliteFailsStartupNamingIt() throws Exception {
		Files.writeString(db(), "this is not a database");
		runner().run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining(db().toString())
				.hasMessageContaining("is not a SQLite database");
		});
	}

	@Test
	void aDatabaseTheReplicaHasMovedPastIsRestoredFromTheReplica() throws Exception {
		Path oldVolume = this.dir.resolve("old-volume");
		write(oldVolume, "one", "two");
		write("three");
		bringBackOldVolume(oldVolume);
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(LitestreamStartupRestore.class).result().outcome())
				.isEqualTo(RestoreResult.Outcome.RESTORED);
			assertThat(notes(context.getBean(DataSource.class))).containsExactly("one", "two", "three");
		});
		try (Stream<Path> files = Files.list(this.dir)) {
			assertThat(files.map((p) -> p.getFileName().toString())).as("the stale copy held nothing the replica lacked")
				.noneMatch((name) -> name.contains(".replaced-"));
		}
	}

	@Test
	void anOldVolumeWithCommitsOfItsOwnFailsStartupNamingBothPositionsAndTheProperty() throws Exception {
		try (Connection localWriter = forkOldVolume()) {
			runner().run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause()
					.hasMessageContaining("have diverged")
					.hasMessageContaining("local history ends at")
					.isInstanceOfSatisfying(LitestreamConfigurationException.class, (ex) -> {
						assertThat(ex.getProperty()).isEqualTo("litestream.restore.on-divergence");
						assertThat(ex.getAction()).contains("on-divergence=replica").contains("on-divergence=local");
					});
			});
		}
	}

	@Test
	void onDivergenceReplicaRestoresTheReplicaAndKeepsTheLocalCopyAside() throws Exception {
		forkOldVolume().close();
		runner("litestream.restore.on-divergence=replica").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(notes(context.getBean(DataSource.class))).containsExactly("one", "two", "three");
		});
		Path aside;
		try (Stream<Path> files = Files.list(this.dir)) {
			aside = files.filter((p) -> p.getFileName().toString().matches("app\\.db\\.replaced-[0-9TZ]+")).findFirst()
				.orElseThrow();
		}
		try (Connection c = TestDatabase.open(aside); Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("SELECT group_concat(body) FROM notes ORDER BY id")) {
			rs.next();
			assertThat(rs.getString(1)).isEqualTo("one,two,local-only");
		}
	}

	@Test
	void onDivergenceLocalKeepsTheLocalDatabase() throws Exception {
		forkOldVolume().close();
		runner("litestream.restore.on-divergence=local").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(LitestreamStartupRestore.class).result().outcome())
				.isEqualTo(RestoreResult.Outcome.DATABASE_EXISTS);
			assertThat(notes(context.getBean(DataSource.class))).containsExactly("one", "two", "local-only");
		});
	}

	/**
	 * An old volume comes back, and holds a commit the replica never got; the replica moved on meanwhile.
	 * The returned connection keeps the commit in the WAL that continues the shadow WAL; closing it first
	 * checkpoints the commit into the file, which leaves it just as unshipped.
	 */
	private Connection forkOldVolume() throws Exception {
		Path oldVolume = this.dir.resolve("old-volume");
		write(oldVolume, "one", "two");
		write("three");
		bringBackOldVolume(oldVolume);
		Connection c = TestDatabase.open(db());
		try (Statement st = c.createStatement()) {
			st.execute("INSERT INTO notes (body) VALUES ('local-only')");
		}
		return c;
	}

	private static List<String> notes(DataSource dataSource) throws Exception {
		try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("SELECT body FROM notes ORDER BY id")) {
			List<String> notes = new ArrayList<>();
			while (rs.next()) {
				notes.add(rs.getString(1));
			}
			return notes;
		}
	}

	private static void copyTree(Path from, Path to, String skip) {
		try (Stream<Path> files = Files.walk(from)) {
			for (Path source : files.toList()) {
				Path relative = from.relativize(source);
				if (relative.toString().isEmpty() || relative.startsWith("old-volume")
						|| (skip != null && relative.startsWith(skip)) || source.getFileName().toString().endsWith("-shm")) {
					continue;
				}
				Path target = to.resolve(relative);
				if (Files.isDirectory(source)) {
					Files.createDirectories(target);
				}
				else {
					Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
				}
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static void deleteTree(Path root) throws IOException {
		if (!Files.exists(root)) {
			return;
		}
		try (Stream<Path> files = Files.walk(root)) {
			for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
				Files.delete(p);
			}
		}
	}

}
