package io.github.litestreamspring.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;

import javax.sql.DataSource;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.github.litestreamspring.actuate.endpoint.LitestreamDescriptors;
import io.github.litestreamspring.actuate.endpoint.LitestreamEndpoint;
import io.github.litestreamspring.health.LitestreamHealthIndicator;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.lifecycle.LitestreamDatabases;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.lifecycle.LitestreamStartupRestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@code litestream.databases[]}: further databases beside the DataSource, each with its own engine,
 * restored on startup, reported by health, endpoint and metrics.
 */
class LitestreamAdditionalDatabasesTests {

	@TempDir
	Path dir;

	private WebApplicationContextRunner runner() {
		return new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LitestreamAutoConfiguration.class, LitestreamHealthContributorAutoConfiguration.class,
					LitestreamEndpointAutoConfiguration.class, LitestreamMetricsAutoConfiguration.class))
			.withUserConfiguration(MeterRegistryConfiguration.class)
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica-app"),
					"litestream.databases[0].path=" + this.dir.resolve("events.db"),
					"litestream.databases[0].replicas[0].url=file://" + this.dir.resolve("replica-events"),
					"litestream.monitor-interval=50ms", "litestream.replicas[0].sync-interval=50ms",
					"litestream.databases[0].replicas[0].sync-interval=50ms",
					"management.endpoints.web.exposure.include=litestream");
	}

	@Test
	void furtherDatabasesAreReplicatedReportedAndRestored() throws Exception {
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			context.start();
			try (Connection c = context.getBean(DataSource.class).getConnection(); Statement st = c.createStatement()) {
				st.execute("CREATE TABLE notes (body TEXT)");
				st.execute("INSERT INTO notes VALUES ('main')");
			}
			try (TestDatabase events = new TestDatabase(this.dir.resolve("events.db"))) {
				events.insertBatch(1, 7, 50);
			}
			LitestreamDatabases databases = context.getBean(LitestreamDatabases.class);
			assertThat(databases.all()).hasSize(2);
			LitestreamReplication events = databases.replications().get(1);
			assertThat(events.isRunning()).isTrue();
			LitestreamEndpoint endpoint = context.getBean(LitestreamEndpoint.class);
			Map<String, Object> synced = endpoint.operation("sync");
			assertThat(synced).containsKeys("position", "databases");
			assertThat(events.status().replicas().get(0).position()).isEqualTo(events.status().position());
			assertThat(endpoint.databases().databases()).extracting(LitestreamDescriptors.DatabaseDescriptor::path)
				.containsExactly(this.dir.resolve("app.db").toString(), this.dir.resolve("events.db").toString());
			Health health = context.getBean(LitestreamHealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getDetails()).containsKey("databases");
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.get("litestream.replica.wal.bytes").tag("database", "events.db").counter().count())
				.isPositive();
		});
		for (String name : new String[] { "app.db", "events.db" }) {
			for (String suffix : new String[] { "", "-wal", "-shm" }) {
				Files.deleteIfExists(this.dir.resolve(name + suffix));
			}
		}
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			LitestreamStartupRestore restore = context.getBean(LitestreamStartupRestore.class);
			assertThat(restore.result().outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
			assertThat(restore.additionalResults()).extracting(RestoreResult::outcome)
				.containsExactly(RestoreResult.Outcome.RESTORED);
			assertThat(TestDatabase.rows(this.dir.resolve("events.db"))).hasSize(7);
			try (Connection c = context.getBean(DataSource.class).getConnection(); Statement st = c.createStatement();
					ResultSet rs = st.executeQuery("SELECT body FROM notes")) {
				assertThat(rs.next()).isTrue();
				assertThat(rs.getString(1)).isEqualTo("main");
			}
		});
	}

	@Test
	void healthIsDownWhenAFurtherDatabaseCannotReplicate() {
		runner().run((context) -> {
			context.start();
			LitestreamReplication events = context.getBean(LitestreamDatabases.class).replications().get(1);
			org.springframework.util.FileSystemUtils.deleteRecursively(this.dir.resolve("replica-events"));
			Files.writeString(this.dir.resolve("replica-events"), "not a directory");
			try (TestDatabase db = new TestDatabase(this.dir.resolve("events.db"))) {
				db.insertBatch(1, 3, 50);
			}
			long deadline = System.nanoTime() + 10_000_000_000L;
			while (events.status().replicas().get(0).lastError() == null && System.nanoTime() < deadline) {
				Thread.sleep(50);
			}
			Health health = context.getBean(LitestreamHealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.DOWN);
			assertThat(String.valueOf(health.getDetails().get("reason"))).contains("events.db");
		});
	}

	@Test
	void aDatabaseWithoutPathOrSharingAReplicaFailsNamingTheProperty() {
		runner().withPropertyValues("litestream.databases[0].path=").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(rootCause(context.getStartupFailure()).getProperty()).isEqualTo("litestream.databases[0].path");
		});
		runner().withPropertyValues("litestream.databases[0].replicas[0].url=file://" + this.dir.resolve("replica-app"))
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(rootCause(context.getStartupFailure()).getProperty())
					.isEqualTo("litestream.databases[0].replicas");
			});
	}

	private static LitestreamConfigurationException rootCause(Throwable failure) {
		Throwable t = failure;
		while (t != null && !(t instanceof LitestreamConfigurationException)) {
			t = t.getCause();
		}
		assertThat(t).as("LitestreamConfigurationException in " + failure).isNotNull();
		return (LitestreamConfigurationException) t;
	}

	/**
	 * A pool of a further database passes that database's write gate, not the main one's: a hand-over of
	 * one database (or its lost lease) stops exactly its writes. Until #14's follow-up every SQLite pool
	 * was wired to the main database's engine.
	 */
	@Test
	void aPoolOfAFurtherDatabasePassesThatDatabasesWriteGate() throws Exception {
		runner().withUserConfiguration(EventsPoolConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed();
			context.start();
			DataSource main = context.getBean("dataSource", DataSource.class);
			DataSource events = context.getBean("eventsDataSource", DataSource.class);
			try (Connection c = events.getConnection(); Statement st = c.createStatement()) {
				st.execute("CREATE TABLE e (body TEXT)");
			}
			try (Connection c = main.getConnection(); Statement st = c.createStatement()) {
				st.execute("CREATE TABLE notes (body TEXT)");
			}
			LitestreamReplication eventsReplication = context.getBean(LitestreamDatabases.class)
				.replications()
				.get(1);
			eventsReplication.replicator().writeGate().close("test: events handed over");
			try {
				try (Connection c = events.getConnection(); Statement st = c.createStatement()) {
					assertThatExceptionOfType(java.sql.SQLNonTransientException.class)
						.isThrownBy(() -> st.execute("INSERT INTO e VALUES ('refused')"))
						.withMessageContaining("events handed over");
					try (java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM e")) {
						assertThat(rs.next()).isTrue();
					}
				}
				try (Connection c = main.getConnection(); Statement st = c.createStatement()) {
					st.execute("INSERT INTO notes VALUES ('main still writes')");
				}
			}
			finally {
				eventsReplication.replicator().writeGate().open();
			}
			try (Connection c = events.getConnection(); Statement st = c.createStatement()) {
				st.execute("INSERT INTO e VALUES ('accepted')");
			}
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class EventsPoolConfiguration {

		@Bean
		@org.springframework.context.annotation.Primary
		com.zaxxer.hikari.HikariDataSource dataSource(org.springframework.core.env.Environment environment) {
			com.zaxxer.hikari.HikariDataSource ds = new com.zaxxer.hikari.HikariDataSource();
			ds.setJdbcUrl(environment.getProperty("spring.datasource.url"));
			return ds;
		}

		@Bean
		com.zaxxer.hikari.HikariDataSource eventsDataSource(org.springframework.core.env.Environment environment) {
			com.zaxxer.hikari.HikariDataSource ds = new com.zaxxer.hikari.HikariDataSource();
			ds.setJdbcUrl("jdbc:sqlite:" + environment.getProperty("litestream.databases[0].path"));
			return ds;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class MeterRegistryConfiguration {

		@Bean
		SimpleMeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

	}

}
