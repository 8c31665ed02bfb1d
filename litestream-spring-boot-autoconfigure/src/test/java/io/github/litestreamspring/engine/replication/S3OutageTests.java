package io.github.litestreamspring.engine.replication;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The S3 endpoint goes away for a few seconds while the application keeps committing: the replicator
 * reports the error promptly, keeps the commits in the shadow WAL, and catches up without losing any
 * once the endpoint is back.
 * <p>
 * It stops the S3Proxy shared by every test of the JVM; the finally block always starts it again.
 */
class S3OutageTests {

	static final String BUCKET = "outage";

	/** Few, short retries, so that a failed sync is reported within a second, not after two minutes. */
	static final S3ReplicaOptions.RetryPolicy QUICK_RETRY = new S3ReplicaOptions.RetryPolicy(3, Duration.ofMillis(50),
			Duration.ofMillis(200), Duration.ofSeconds(1));

	@TempDir
	Path dir;

	@Test
	void replicationCatchesUpAfterAnS3OutageWithoutLosingCommits() throws Exception {
		S3ProxyServer server = S3ProxyServer.shared();
		server.createBucket(BUCKET);
		Path db = this.dir.resolve("app.db");
		String root = "dbs/" + UUID.randomUUID() + "/app.db";
		// Small checkpoint thresholds, so the WAL also restarts while S3 is down: the shadow WAL must keep
		// every index the replica has not received yet.
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1))
			.withCheckpointPageCounts(30, 120, 0);
		AtomicBoolean writing = new AtomicBoolean(true);
		AtomicInteger committed = new AtomicInteger();
		AtomicReference<Throwable> writerFailure = new AtomicReference<>();
		try (S3Client s3 = server.client(); TestDatabase app = new TestDatabase(db)) {
			S3ReplicaClient client = new S3ReplicaClient(s3, BUCKET, root, S3ReplicaOptions.defaults().withRetry(QUICK_RETRY));
			Replicator replicator = new Replicator(options,
					List.of(new Replica(ReplicaOptions.defaults("s3").withSyncInterval(Duration.ofMillis(100)), client)));
			replicator.start();
			Thread writer = new Thread(() -> {
				try {
					// Bounded: at most 3.5 s of one-row transactions whatever the main thread does.
					long end = System.nanoTime() + Duration.ofMillis(3500).toNanos();
					while (writing.get() && System.nanoTime() < end) {
						app.insertBatch(committed.get(), 1, 200);
						committed.incrementAndGet();
						Thread.sleep(5);
					}
				}
				catch (Throwable ex) {
					writerFailure.set(ex);
				}
			}, "s3-outage-writer");
			try {
				writer.start();
				Thread.sleep(700);
				assertThat(replicaStatus(replicator).lastError()).as("before the outage").isNull();

				long stoppedAt = System.nanoTime();
				server.stop();
				try {
					assertThat(await(Duration.ofSeconds(5), () -> replicaStatus(replicator).lastError() != null))
						.as("an error is reported while S3 is down").isTrue();
					long reportedMillis = (System.nanoTime() - stoppedAt) / 1_000_000;
					String error = replicaStatus(replicator).lastError();
					assertThat(error).contains("s3://" + BUCKET + "/" + root);
					assertThat(reportedMillis).as("ms until the outage was reported: %s", error).isLessThan(3000);
					int committedDuringOutageStart = committed.get();
					Thread.sleep(Math.max(0, 2500 - reportedMillis));
					assertThat(committed.get()).as("the application kept committing while S3 was down")
						.isGreaterThan(committedDuringOutageStart);
					// Still failing (the replicator keeps trying, it has not given up or hung on one call).
					assertThat(replicaStatus(replicator).lastError()).isNotNull();
				}
				finally {
					server.start();
				}
				long restartedAt = System.nanoTime();
				writer.join(Duration.ofSeconds(10).toMillis());
				assertThat(writer.isAlive()).isFalse();
				assertThat(writerFailure.get()).isNull();

				// Caught up: the replica is at the local position with no error, well within 30 s.
				assertThat(await(Duration.ofSeconds(30), () -> {
					ReplicationStatus status = replicator.status();
					ReplicationStatus.Replica r = status.replicas().get(0);
					return r.lastError() == null && status.position().equals(r.position());
				})).as("caught up after the outage: %s", replicator.status()).isTrue();
				long catchUpMillis = (System.nanoTime() - restartedAt) / 1_000_000;
				assertThat(catchUpMillis).as("ms to catch up after S3 came back").isLessThan(10_000);

				Pos local = replicator.syncNow();
				assertThat(replicaStatus(replicator).position()).isEqualTo(local);
				assertThat(local.index()).as("the WAL restarted during the test").isGreaterThanOrEqualTo(1);
			}
			finally {
				writing.set(false);
				writer.join(Duration.ofSeconds(10).toMillis());
				replicator.stop(Duration.ofSeconds(10));
				if (!server.isRunning()) {
					server.start();
				}
			}
			List<String> expected = app.rows();
			assertThat(expected).hasSize(committed.get());

			Path restored = this.dir.resolve("restored.db");
			RestoreResult result = new Restorer(new S3ReplicaClient(s3, BUCKET, root, S3ReplicaOptions.defaults()))
				.restore(RestoreOptions.latest(restored));
			assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
			assertThat(TestDatabase.rows(restored)).isEqualTo(expected);
			assertThat(TestDatabase.integrityCheck(restored)).isEqualTo("ok");
		}
	}

	@Test
	void restartAfterAStopThatTimedOutDuringAnOutageKeepsOneReplicationThread() throws Exception {
		S3ProxyServer server = S3ProxyServer.shared();
		server.createBucket(BUCKET);
		Path db = this.dir.resolve("restart.db");
		String threadName = "litestream-restart.db";
		String root = "dbs/" + UUID.randomUUID() + "/restart.db";
		// Each S3 call keeps failing for a few seconds (7 jittered delays of up to 1 s), so the
		// replication thread is still inside one when stop() gives up.
		S3ReplicaOptions.RetryPolicy slowRetry = new S3ReplicaOptions.RetryPolicy(8, Duration.ofSeconds(1),
				Duration.ofSeconds(1), Duration.ofSeconds(6));
		DatabaseOptions options = DatabaseOptions.defaults(db).withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1));
		try (S3Client s3 = server.client(); TestDatabase app = new TestDatabase(db)) {
			Replicator replicator = new Replicator(options, List.of(new Replica(
					ReplicaOptions.defaults("s3").withSyncInterval(Duration.ofMillis(100)),
					new S3ReplicaClient(s3, BUCKET, root, S3ReplicaOptions.defaults().withRetry(slowRetry)))));
			replicator.start();
			try {
				app.insertBatch(0, 10, 100);
				replicator.syncNow();
				server.stop();
				try {
					app.insertBatch(1, 10, 100);
					Thread.sleep(300);
					replicator.stop(Duration.ofMillis(300));
					assertThat(replicationThreads(threadName)).as("stop() gave up while a call was in flight")
						.isEqualTo(1);
					replicator.start();
				}
				finally {
					server.start();
				}
				app.insertBatch(2, 10, 100);
				// The superseded thread leaves once its call returns: one thread replicates, not two.
				assertThat(await(Duration.ofSeconds(15), () -> replicationThreads(threadName) == 1))
					.as("replication threads of a restarted replicator").isTrue();
				assertThat(await(Duration.ofSeconds(15), () -> {
					ReplicationStatus status = replicator.status();
					return status.replicas().get(0).isCurrent(status.position());
				})).as("caught up: %s", replicator.status()).isTrue();
				Thread.sleep(300);
				assertThat(replicationThreads(threadName)).isEqualTo(1);
			}
			finally {
				replicator.stop(Duration.ofSeconds(10));
				if (!server.isRunning()) {
					server.start();
				}
			}
			assertThat(await(Duration.ofSeconds(5), () -> replicationThreads(threadName) == 0)).isTrue();
			Path restored = this.dir.resolve("restored.db");
			new Restorer(new S3ReplicaClient(s3, BUCKET, root, S3ReplicaOptions.defaults()))
				.restore(RestoreOptions.latest(restored));
			assertThat(TestDatabase.rows(restored)).hasSize(30).isEqualTo(app.rows());
		}
	}

	private static long replicationThreads(String name) {
		return Thread.getAllStackTraces().keySet().stream().filter((t) -> t.getName().equals(name) && t.isAlive()).count();
	}

	private static ReplicationStatus.Replica replicaStatus(Replicator replicator) {
		return replicator.status().replicas().get(0);
	}

	/** Polls {@code condition} every 20 ms until it holds or {@code timeout} passes. */
	private static boolean await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			if (condition.getAsBoolean()) {
				return true;
			}
			Thread.sleep(20);
		}
		return condition.getAsBoolean();
	}

}
