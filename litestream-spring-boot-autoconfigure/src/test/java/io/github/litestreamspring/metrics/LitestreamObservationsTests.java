package io.github.litestreamspring.metrics;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;

import javax.sql.DataSource;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import io.github.litestreamspring.autoconfigure.LitestreamAutoConfiguration;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.lifecycle.LitestreamVerification;
import io.github.litestreamspring.autoconfigure.LitestreamMetricsAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replica syncs, snapshots, the startup restore and restore verifications are observations on the
 * application's {@code ObservationRegistry}, with the low-cardinality keys database, replica (where one
 * replica is concerned) and outcome; without one they are still timers of the same names.
 */
class LitestreamObservationsTests {

	@TempDir
	Path dir;

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LitestreamAutoConfiguration.class, LitestreamMetricsAutoConfiguration.class))
			.withBean(SimpleMeterRegistry.class)
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica"),
					"litestream.replicas[0].sync-interval=50ms", "litestream.monitor-interval=50ms");
	}

	@Test
	void syncSnapshotRestoreAndVerificationAreObservedWithLowCardinalityKeys() {
		TestObservationRegistry observations = TestObservationRegistry.create();
		runner().withBean(TestObservationRegistry.class, () -> observations).run((context) -> {
			assertThat(context).hasNotFailed();
			context.start();
			write(context.getBean(DataSource.class));
			LitestreamReplication replication = context.getBean(LitestreamReplication.class);
			replication.replicator().syncNow();
			replication.replicator().snapshotNow();
			assertThat(context.getBean(LitestreamVerification.class).verify().ok()).isTrue();

			TestObservationRegistryAssert.assertThat(observations)
				.hasObservationWithNameEqualTo("litestream.replica.sync")
				.that()
				.hasBeenStarted()
				.hasBeenStopped()
				.hasLowCardinalityKeyValue("database", "app.db")
				.hasLowCardinalityKeyValue("replica", "file")
				.hasLowCardinalityKeyValue("outcome", "success");
			TestObservationRegistryAssert.assertThat(observations)
				.hasObservationWithNameEqualTo("litestream.snapshot")
				.that()
				.hasBeenStopped()
				.hasLowCardinalityKeyValue("database", "app.db")
				.hasLowCardinalityKeyValue("replica", "file")
				.hasLowCardinalityKeyValue("outcome", "success");
			TestObservationRegistryAssert.assertThat(observations)
				.hasObservationWithNameEqualTo("litestream.verify")
				.that()
				.hasBeenStopped()
				.hasLowCardinalityKeyValue("database", "app.db")
				.hasLowCardinalityKeyValue("outcome", "success");
			// The first start finds an empty replica: nothing to restore, observed all the same.
			TestObservationRegistryAssert.assertThat(observations)
				.hasObservationWithNameEqualTo("litestream.restore")
				.that()
				.hasBeenStopped()
				.hasLowCardinalityKeyValue("database", "app.db")
				.hasLowCardinalityKeyValue("outcome", "no_backup");
		});
	}

	@Test
	void withoutAnObservationRegistrySyncsAndSnapshotsAreStillTimers() {
		runner().run((context) -> {
			context.start();
			write(context.getBean(DataSource.class));
			LitestreamReplication replication = context.getBean(LitestreamReplication.class);
			replication.replicator().syncNow();
			replication.replicator().snapshotNow();
			SimpleMeterRegistry registry = context.getBean(SimpleMeterRegistry.class);
			assertThat(registry.get("litestream.replica.sync")
				.tags("database", "app.db", "replica", "file", "outcome", "success")
				.timer()
				.count()).isPositive();
			assertThat(registry.get("litestream.snapshot").tags("replica", "file", "outcome", "success").timer().count())
				.isEqualTo(2);
			assertThat(registry.get("litestream.restore").tag("outcome", "no_backup").timer().count()).isEqualTo(1);
		});
	}

	static void write(DataSource dataSource) throws Exception {
		try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
			st.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)");
			st.execute("INSERT INTO notes (body) VALUES ('x')");
		}
	}

}
