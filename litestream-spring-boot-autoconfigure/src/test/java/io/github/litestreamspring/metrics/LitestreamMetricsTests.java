package io.github.litestreamspring.metrics;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;

import javax.sql.DataSource;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.util.FileSystemUtils;

import io.github.litestreamspring.autoconfigure.LitestreamAutoConfiguration;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.autoconfigure.LitestreamMetricsAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Meter conventions: the last sync is a Unix timestamp (NaN, not 1970, before the first), tag values
 * are lower case, the {@code database} tag is the database file's name, and the lease and backpressure
 * states the alert rules need are gauges.
 */
class LitestreamMetricsTests {

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
	void lastSyncTimeIsNaNBeforeTheFirstSyncThenItsUnixTime() throws Exception {
		// The replica path is a regular file: no sync can succeed until it becomes a directory.
		Files.writeString(this.dir.resolve("replica"), "not a directory");
		runner().withPropertyValues("litestream.restore.enabled=false", "litestream.lease.enabled=false").run((context) -> {
			SimpleMeterRegistry registry = context.getBean(SimpleMeterRegistry.class);
			context.start();
			LitestreamObservationsTests.write(context.getBean(DataSource.class));
			LitestreamReplication replication = context.getBean(LitestreamReplication.class);
			assertThatThrownBy(() -> replication.replicator().syncNow()).isNotNull();
			assertThat(registry.get("litestream.replica.last.sync.time").tag("database", "app.db").gauge().value())
				.isNaN();
			Files.delete(this.dir.resolve("replica"));
			double before = Instant.now().toEpochMilli() / 1000.0;
			replication.replicator().syncNow();
			double value = registry.get("litestream.replica.last.sync.time").gauge().value();
			assertThat(value).isBetween(before - 1, Instant.now().toEpochMilli() / 1000.0 + 1);
		});
	}

	@Test
	void theDatabaseTagIsTheConfiguredNameElseTheFileName() {
		runner().withPropertyValues("litestream.databases[0].path=" + this.dir.resolve("events.db"),
				"litestream.databases[0].name=events",
				"litestream.databases[0].replicas[0].url=file://" + this.dir.resolve("events-replica"),
				"litestream.databases[1].path=" + this.dir.resolve("audit.db"),
				"litestream.databases[1].replicas[0].url=file://" + this.dir.resolve("audit-replica"))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				SimpleMeterRegistry registry = context.getBean(SimpleMeterRegistry.class);
				assertThat(registry.find("litestream.wal.index").gauges())
					.extracting((g) -> g.getId().getTag("database"))
					.containsExactlyInAnyOrder("app.db", "events", "audit.db");
			});
	}

	@Test
	void twoDatabasesWithOneNameFailStartupNamingTheProperty() {
		runner().withPropertyValues("litestream.databases[0].path=" + this.dir.resolve("events.db"),
				"litestream.databases[0].name=app.db",
				"litestream.databases[0].replicas[0].url=file://" + this.dir.resolve("events-replica"))
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause()
					.hasMessageContaining("two databases are named 'app.db'");
			});
	}

	@Test
	void tagValuesAreLowerCase() {
		runner().run((context) -> {
			context.start();
			LitestreamObservationsTests.write(context.getBean(DataSource.class));
			LitestreamReplication replication = context.getBean(LitestreamReplication.class);
			replication.replicator().syncNow();
			replication.replicator().snapshotNow();
			SimpleMeterRegistry registry = context.getBean(SimpleMeterRegistry.class);
			assertThat(registry.get("litestream.checkpoint").meters()).isNotEmpty();
			assertThat(registry.get("litestream.storage.operations").meters()).isNotEmpty();
			for (Meter meter : registry.getMeters()) {
				if (!meter.getId().getName().startsWith("litestream.")) {
					continue;
				}
				for (Tag tag : meter.getId().getTags()) {
					// 'error' is Micrometer's own observation tag: an exception class name or 'none'.
					if (!tag.getKey().equals("error")) {
						assertThat(tag.getValue()).as(meter.getId().toString())
							.isEqualTo(tag.getValue().toLowerCase(Locale.ROOT));
					}
				}
			}
			assertThat(registry.get("litestream.storage.operations").tag("operation", "put").counter().count())
				.isPositive();
		});
	}

	@Test
	void leaseStateIsAGaugePerState() {
		runner().run((context) -> {
			SimpleMeterRegistry registry = context.getBean(SimpleMeterRegistry.class);
			context.start();
			assertThat(registry.get("litestream.replica.lease").tags("replica", "file", "state", "held").gauge().value())
				.isEqualTo(1);
			assertThat(registry.get("litestream.replica.lease").tag("state", "lost").gauge().value()).isZero();
			assertThat(registry.get("litestream.replica.lease").tag("state", "waiting").gauge().value()).isZero();
			// Stopped, nobody holds or waits for anything: no value rather than a misleading 0.
			context.stop();
			assertThat(registry.get("litestream.replica.lease").tag("state", "held").gauge().value()).isNaN();
		});
	}

	@Test
	void backpressureActiveIsOneWhileReplicationIsOverALimit() {
		runner().withPropertyValues("litestream.backpressure.max-lag-bytes=1KB").run((context) -> {
			SimpleMeterRegistry registry = context.getBean(SimpleMeterRegistry.class);
			context.start();
			LitestreamObservationsTests.write(context.getBean(DataSource.class));
			context.getBean(LitestreamReplication.class).replicator().syncNow();
			assertThat(registry.get("litestream.backpressure.active").tag("database", "app.db").gauge().value())
				.isZero();
			// The replica directory turns into a regular file: uploads fail and the lag grows past 1 KB.
			FileSystemUtils.deleteRecursively(this.dir.resolve("replica"));
			Files.writeString(this.dir.resolve("replica"), "not a directory");
			DataSource dataSource = context.getBean(DataSource.class);
			long deadline = System.nanoTime() + 10_000_000_000L;
			double active = 0;
			for (int i = 0; i < 200 && active == 0 && System.nanoTime() < deadline; i++) {
				LitestreamObservationsTests.write(dataSource);
				Thread.sleep(50);
				active = registry.get("litestream.backpressure.active").gauge().value();
			}
			assertThat(active).isEqualTo(1);
		});
	}

}
