package io.github.litestreamspring.autoconfigure;

import java.nio.file.Path;
import java.sql.SQLNonTransientException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;

import io.github.litestreamspring.engine.lease.LeaseOptions;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.lease.WriteGate;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.testsupport.FaultProxy;
import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.lifecycle.LitestreamReplication;

import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A start while the replica's store is unreachable: whether another instance writes cannot be known,
 * so the application starts (reads work, liveness untouched — an S3 outage must not get pods
 * restarted) with writes refused and readiness withdrawn; once the store answers, the lease is taken
 * and writes open — unless another instance wrote meanwhile, whose writes this database lacks.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LitestreamLeaseStoreUnreachableTests {

	private static final String BUCKET = "unreachable";

	@TempDir
	Path dir;

	private FaultProxy proxy;

	private String root;

	@BeforeEach
	void startProxy() throws Exception {
		S3ProxyServer.shared().createBucket(BUCKET);
		this.proxy = new FaultProxy(S3ProxyServer.shared().endpoint());
		this.root = UUID.randomUUID() + "/app.db";
	}

	@AfterEach
	void closeProxy() {
		this.proxy.close();
	}

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					ApplicationAvailabilityAutoConfiguration.class, LitestreamAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=s3://" + BUCKET + "/" + this.root,
					"litestream.replicas[0].endpoint=" + this.proxy.endpoint(),
					"litestream.replicas[0].access-key-id=" + S3ProxyServer.ACCESS_KEY,
					"litestream.replicas[0].secret-access-key=" + S3ProxyServer.SECRET_KEY,
					// Nothing to restore from while the store is down; the database is this instance's own.
					"litestream.restore.enabled=false", "litestream.lease.ttl=3s",
					"litestream.replicas[0].sync-interval=50ms", "litestream.monitor-interval=50ms");
	}

	@Test
	void startsWithWritesRefusedWhileTheStoreIsUnreachableAndOpensThemOnceTheLeaseIsTaken() throws Exception {
		try (TestDatabase db = new TestDatabase(this.dir.resolve("app.db"))) {
			db.insertBatch(1, 5, 10);
		}
		this.proxy.refuse((line) -> true);
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			context.start();
			JdbcTemplate jdbc = new JdbcTemplate(context.getBean(javax.sql.DataSource.class));
			declareReady(context);
			WriteGate gate = gate(context);
			assertThat(gate.state()).isEqualTo(WriteGate.State.CLOSED);
			assertThatThrownBy(() -> jdbc.update("INSERT INTO t (batch, payload) VALUES (2, 'x')"))
				.isInstanceOf(DataAccessException.class)
				.cause()
				.isInstanceOf(SQLNonTransientException.class)
				.hasMessageContaining("lease on s3://" + BUCKET + "/" + this.root + "/lease.json not acquired yet")
				.hasMessageContaining("SlowDown");
			assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM t", Integer.class)).isEqualTo(5);
			ApplicationAvailability availability = context.getBean(ApplicationAvailability.class);
			assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
			assertThat(availability.getLastChangeEvent(LivenessState.class)).as("liveness never touched").isNull();

			this.proxy.heal();
			awaitTrue(() -> gate.state() == WriteGate.State.OPEN, Duration.ofSeconds(20));
			jdbc.update("INSERT INTO t (batch, payload) VALUES (2, 'x')");
			assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
			Replicator replicator = context.getBean(LitestreamReplication.class).replicator();
			replicator.syncNow();
			assertThat(replicator.status().replicas().get(0).position()).isEqualTo(replicator.status().position());
		});
	}

	@Test
	void aLeaseFreedWhileTheStoreWasUnreachableIsNotTakenWhenAnotherInstanceWroteMeanwhile() throws Exception {
		// Another instance replicated its own database to the path and stopped (lease released).
		Path other = this.dir.resolve("other/app.db");
		java.nio.file.Files.createDirectories(other.getParent());
		try (TestDatabase db = new TestDatabase(other); S3Client s3 = S3ProxyServer.shared().client()) {
			db.insertBatch(9, 20, 10);
			Replicator writer = new Replicator(DatabaseOptions.defaults(other),
					List.of(new Replica(ReplicaOptions.defaults("s3"),
							new S3ReplicaClient(s3, BUCKET, this.root, S3ReplicaOptions.defaults()))));
			writer.setLeaseOptions(LeaseOptions.enabled(Duration.ofSeconds(3), LeaseOptions.OnConflict.WAIT));
			writer.start();
			writer.syncNow();
			writer.stop();
		}
		try (TestDatabase db = new TestDatabase(this.dir.resolve("app.db"))) {
			db.insertBatch(1, 5, 10);
		}
		this.proxy.refuse((line) -> true);
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			context.start();
			WriteGate gate = gate(context);
			assertThat(gate.state()).isEqualTo(WriteGate.State.CLOSED);
			this.proxy.heal();
			Replicator replicator = context.getBean(LitestreamReplication.class).replicator();
			Replica replica = replicator.replicas().get(0);
			awaitTrue(() -> String.valueOf(replicator.status().replicas().get(0).lastError())
				.contains("restart this instance to restore"), Duration.ofSeconds(20));
			assertThat(gate.state()).isEqualTo(WriteGate.State.CLOSED);
			assertThat(gate.reason()).contains("restart this instance to restore");
			assertThat(replicator.leaseState(replica)).isNotEqualTo("held");
			// Nothing of this instance's reached the replica: the other instance's generation is the only one.
			try (S3Client s3 = S3ProxyServer.shared().client();
					S3ReplicaClient client = new S3ReplicaClient(s3, BUCKET, this.root, S3ReplicaOptions.defaults())) {
				assertThat(client.generations()).hasSize(1);
			}
		});
	}

	private static WriteGate gate(ApplicationContext context) {
		return context.getBean(LitestreamReplication.class).replicator().writeGate();
	}

	private static void declareReady(ApplicationContext context) {
		AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
	}

	private static void awaitTrue(BooleanSupplier condition, Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (!condition.getAsBoolean()) {
			if (System.nanoTime() > deadline) {
				throw new AssertionError("condition not met within " + timeout);
			}
			Thread.sleep(50);
		}
	}

}
