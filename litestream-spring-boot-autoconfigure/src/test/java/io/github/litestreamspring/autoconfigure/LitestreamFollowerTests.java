package io.github.litestreamspring.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLNonTransientException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;

import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.actuate.endpoint.LitestreamDescriptors.DatabaseDescriptor;
import io.micrometer.observation.ObservationRegistry;
import io.github.litestreamspring.metrics.LitestreamObservations;
import io.github.litestreamspring.lifecycle.LitestreamDatabases;
import io.github.litestreamspring.actuate.endpoint.LitestreamEndpoint;
import io.github.litestreamspring.health.LitestreamHealthIndicator;
import io.github.litestreamspring.metrics.LitestreamMetrics;
import io.github.litestreamspring.engine.lease.LeaseOptions;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.follower.FollowerListener;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code litestream.role=follower} in an application context, next to a primary (a real engine
 * {@link Replicator}) writing to the same file replica: start-up before the pool, reads that follow the
 * primary, writes refused naming the role, readiness, health, gauge and endpoint, the hand-out check, and
 * promotion after the primary stopped.
 */
class LitestreamFollowerTests {

	@TempDir
	Path dir;

	private Connection primaryConnection;

	private Replicator primary;

	private long written;

	@AfterEach
	void stopPrimary() throws SQLException {
		if (this.primary != null) {
			this.primary.stop();
		}
		if (this.primaryConnection != null) {
			this.primaryConnection.close();
		}
	}

	private void startPrimary(int rows) throws Exception {
		Path db = Files.createDirectories(this.dir.resolve("primary")).resolve("app.db");
		this.primaryConnection = TestDatabase.open(db);
		try (Statement st = this.primaryConnection.createStatement()) {
			st.execute("CREATE TABLE IF NOT EXISTS seq (n INTEGER PRIMARY KEY)");
		}
		DatabaseOptions options = DatabaseOptions.defaults(db).withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1));
		this.primary = new Replicator(options, List.of(new Replica(
				ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(50)), new FileReplicaClient(replica()))));
		this.primary.setLeaseOptions(LeaseOptions.enabled(Duration.ofSeconds(2), LeaseOptions.OnConflict.WAIT));
		this.primary.start();
		write(rows);
	}

	private Pos write(int rows) throws SQLException {
		try (PreparedStatement ps = this.primaryConnection.prepareStatement("INSERT INTO seq (n) VALUES (?)")) {
			for (int i = 0; i < rows; i++) {
				ps.setLong(1, ++this.written);
				ps.executeUpdate();
			}
		}
		return this.primary.syncNow();
	}

	private Path replica() {
		return this.dir.resolve("replica");
	}

	private Path followerDb() {
		return this.dir.resolve("follower").resolve("app.db");
	}

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					ApplicationAvailabilityAutoConfiguration.class, LitestreamAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + followerDb(),
					"spring.datasource.hikari.maximum-pool-size=2", "litestream.role=follower",
					"litestream.follower.poll-interval=50ms", "litestream.lease.ttl=2s",
					"litestream.replicas[0].url=file://" + replica(), "litestream.replicas[0].sync-interval=50ms",
					"litestream.monitor-interval=50ms");
	}

	@Test
	void aFollowerServesTheReplicaFollowsThePrimaryAndRefusesWritesNamingItsRole() throws Exception {
		startPrimary(20);
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
			assertThat(Files.isSymbolicLink(followerDb())).isTrue();
			assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM seq", Long.class)).isEqualTo(20);
			assertThatThrownBy(() -> jdbc.update("INSERT INTO seq (n) VALUES (1000)"))
				.isInstanceOf(DataAccessException.class)
				.cause()
				.isInstanceOf(SQLNonTransientException.class)
				.hasMessageContaining("is a follower (litestream.role=follower)")
				.hasMessageContaining("promote");
			Pos replicated = write(30);
			LitestreamReplication replication = context.getBean(LitestreamReplication.class);
			assertThat(await(() -> replication.follower().status().position().equals(replicated))).isTrue();
			assertThat(await(() -> count(jdbc) == 50)).as("reads through the pool follow").isTrue();
			// Readiness: a follower's closed gate is by design, not a reason to refuse traffic.
			AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
			assertThat(context.getBean(ApplicationAvailability.class).getReadinessState())
				.isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
			// Health, gauge, endpoint.
			LitestreamDatabases databases = context.getBean(LitestreamDatabases.class);
			Health health = new LitestreamHealthIndicator(databases, Duration.ofMinutes(1)).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getDetails()).containsEntry("role", "follower").containsKeys("lag", "position");
			SimpleMeterRegistry registry = new SimpleMeterRegistry();
			new LitestreamMetrics(databases, null, new LitestreamObservations(ObservationRegistry.NOOP)).bindTo(registry);
			assertThat(registry.get("litestream.follower.lag").timeGauge().value()).isBetween(0.0, 5.0);
			DatabaseDescriptor db = new LitestreamEndpoint(databases).databases().databases().get(0);
			assertThat(db.role()).isEqualTo("follower");
			assertThat(db.follower()).isNotNull();
			assertThat(Files.exists(replica().resolve("generations"))).isTrue();
		});
	}

	@Test
	void healthIsDownOnceTheFollowerIsStalerThanMaxLag() throws Exception {
		startPrimary(5);
		runner().withPropertyValues("litestream.follower.max-lag=300ms", "litestream.follower.poll-interval=1h")
			.run((context) -> {
				LitestreamReplication replication = context.getBean(LitestreamReplication.class);
				Thread.sleep(400);
				Health health = new LitestreamHealthIndicator(context.getBean(LitestreamDatabases.class),
						Duration.ofMinutes(1)).health(true);
				assertThat(health.getStatus()).isEqualTo(Status.DOWN);
				assertThat(health.getDetails().get("reason").toString()).contains("litestream.follower.max-lag");
			});
	}

	@Test
	void aPooledConnectionThatReadsAnOlderCopyIsNeverHandedOutAgain() throws Exception {
		startPrimary(10);
		runner().withPropertyValues("spring.datasource.hikari.maximum-pool-size=1").run((context) -> {
			LitestreamReplication replication = context.getBean(LitestreamReplication.class);
			// Switches no longer retire the pool's connections: only the hand-out check stands.
			replication.follower().engine().setListener(FollowerListener.NONE);
			DataSource dataSource = context.getBean(DataSource.class);
			JdbcTemplate jdbc = new JdbcTemplate(dataSource);
			assertThat(count(jdbc)).isEqualTo(10);
			write(10);
			// The first switch goes to the copy nobody reads; the next apply would wait for the pooled
			// connection, which still reads the older copy.
			assertThat(await(() -> replication.follower().status().switches() >= 1)).isTrue();
			long served;
			try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + replication.follower().status().activeCopy())) {
				served = count(new JdbcTemplate(new org.springframework.jdbc.datasource.SingleConnectionDataSource(c, true)));
			}
			assertThat(served).isGreaterThan(10);
			assertThat(count(jdbc)).as("the idle connection reads the older copy: not handed out").isEqualTo(served);
			assertThat(dataSource.unwrap(HikariDataSource.class)).isNotNull();
		});
	}

	@Test
	void promotionAfterThePrimaryStoppedContinuesItsGenerationAndAcceptsWrites() throws Exception {
		startPrimary(25);
		runner().run((context) -> {
			LitestreamReplication replication = context.getBean(LitestreamReplication.class);
			JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
			Pos last = write(5);
			assertThat(await(() -> replication.follower().status().position().equals(last))).isTrue();
			this.primary.stop();
			this.primary = null;
			Map<String, Object> promoted = new LitestreamEndpoint(context.getBean(LitestreamDatabases.class))
				.operation("promote");
			assertThat(promoted).containsKey("promoted");
			assertThat(replication.isFollowing()).isFalse();
			assertThat(Files.isSymbolicLink(followerDb())).isFalse();
			assertThat(count(jdbc)).as("nothing acknowledged lost").isEqualTo(30);
			jdbc.update("INSERT INTO seq (n) VALUES (31)");
			Pos shipped = replication.replicator().syncNow();
			assertThat(shipped.generation()).isEqualTo(last.generation());
			Path restored = this.dir.resolve("restored.db");
			new Restorer(new FileReplicaClient(replica())).restore(RestoreOptions.latest(restored));
			try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + restored);
					Statement st = c.createStatement();
					java.sql.ResultSet rs = st.executeQuery("SELECT COUNT(*), MAX(n) FROM seq")) {
				rs.next();
				assertThat(rs.getLong(1)).as("the replica holds every row, the promoted one's included").isEqualTo(31);
				assertThat(rs.getLong(2)).isEqualTo(31);
			}
		});
	}

	@Test
	void promotionWhileThePrimaryRunsTakesOverThroughTheHandOverAndLosesNoAcknowledgedCommit() throws Exception {
		startPrimary(20);
		runner().run((context) -> {
			LitestreamReplication replication = context.getBean(LitestreamReplication.class);
			JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
			write(5);
			replication.follower().promote();
			assertThat(this.primary.writeGate().state()).as("the old primary handed over")
				.isEqualTo(io.github.litestreamspring.engine.lease.WriteGate.State.CLOSED);
			assertThat(this.primary.handedOverAt()).isNotNull();
			assertThat(count(jdbc)).as("every row the old primary acknowledged").isEqualTo(25);
			jdbc.update("INSERT INTO seq (n) VALUES (26)");
			assertThat(replication.replicator().syncNow().generation()).isEqualTo(this.primary.handedOverAt().generation());
		});
	}

	@Test
	void promotionIsRefusedWithoutTheLease() throws Exception {
		startPrimary(1);
		runner().withPropertyValues("litestream.lease.enabled=false").run((context) -> {
			LitestreamReplication replication = context.getBean(LitestreamReplication.class);
			assertThatThrownBy(() -> replication.follower().promote())
				.hasMessageContaining("litestream.lease.enabled=false");
			assertThat(replication.isFollowing()).isTrue();
			assertThatThrownBy(() -> new JdbcTemplate(context.getBean(DataSource.class)).update("INSERT INTO seq (n) VALUES (9)"))
				.hasMessageContaining("litestream.role=follower");
		});
	}

	@Test
	void scheduledRestoreVerificationDoesNotRunOnAFollower() throws Exception {
		startPrimary(3);
		runner().withPropertyValues("litestream.verification.interval=100ms").run((context) -> {
			Thread.sleep(600);
			assertThat(context.getBean(io.github.litestreamspring.lifecycle.LitestreamVerification.class).last())
				.as("no verification ran (it would fail: a follower does not replicate)").isNull();
		});
	}

	@Test
	void aFollowerRefusesToStartWithAPoolOtherThanHikari() throws Exception {
		startPrimary(1);
		runner().withBean("dataSource", DataSource.class, () -> {
			org.sqlite.SQLiteDataSource plain = new org.sqlite.SQLiteDataSource();
			plain.setUrl("jdbc:sqlite:" + followerDb());
			return plain;
		}).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(LitestreamConfigurationException.class)
				.hasMessageContaining("is not a HikariCP pool, which a follower needs");
			LitestreamConfigurationException failure = (LitestreamConfigurationException) org.springframework.core.NestedExceptionUtils
				.getMostSpecificCause(context.getStartupFailure());
			assertThat(failure.getProperty()).isEqualTo("litestream.role");
		});
	}

	private static long count(JdbcTemplate jdbc) {
		return jdbc.queryForObject("SELECT COUNT(*) FROM seq", Long.class);
	}

	private static boolean await(BooleanSupplier condition) throws InterruptedException {
		long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
		while (System.nanoTime() < end) {
			if (condition.getAsBoolean()) {
				return true;
			}
			Thread.sleep(20);
		}
		return condition.getAsBoolean();
	}

}
