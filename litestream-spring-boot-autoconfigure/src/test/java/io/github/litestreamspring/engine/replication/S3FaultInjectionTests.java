package io.github.litestreamspring.engine.replication;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.FaultProxy;
import io.github.litestreamspring.engine.testsupport.Soak;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replication through a fault-injecting TCP proxy in front of S3Proxy while the application commits
 * one row per transaction: throttling ({@code 503 SlowDown}), slow responses and connections reset
 * mid-response. In each case nothing committed is lost (a restore equals the live table and passes
 * {@code integrity_check}), replication catches up, and the status shows what happened (lag, error).
 * <p>
 * The write load lasts 3 s per scenario by default; {@code -Dsoak.seconds=S} makes it longer.
 */
class S3FaultInjectionTests {

	static final String BUCKET = "faults";

	/** Few, short retries, so a failing call is reported within a second. */
	static final S3ReplicaOptions.RetryPolicy QUICK_RETRY = new S3ReplicaOptions.RetryPolicy(3, Duration.ofMillis(50),
			Duration.ofMillis(200), Duration.ofSeconds(1));

	private static final Duration CATCH_UP_LIMIT = Duration.ofSeconds(20);

	private static S3ProxyServer server;

	private static FaultProxy proxy;

	@TempDir
	Path dir;

	private final Duration load = Soak.load(Duration.ofSeconds(3));

	@BeforeAll
	static void startProxy() throws Exception {
		server = S3ProxyServer.shared();
		server.createBucket(BUCKET);
		proxy = new FaultProxy(server.endpoint());
	}

	@AfterAll
	static void closeProxy() {
		if (proxy != null) {
			proxy.close();
		}
	}

	@BeforeEach
	void healProxy() {
		proxy.heal();
	}

	@Test
	void throttlingWithSlowDownLosesNothingAndReplicationKeepsUp() throws Exception {
		long slowDownsBefore = proxy.slowDowns();
		long requestsBefore = proxy.requests();
		proxy.slowDown(0.3);
		Scenario scenario = new Scenario("slowdown");
		scenario.run((replicator) -> {
			// Caught up while 30% of the requests are still throttled: retries absorb it.
			scenario.awaitCaughtUp(replicator);
		});
		long slowDowns = proxy.slowDowns() - slowDownsBefore;
		long requests = proxy.requests() - requestsBefore;
		System.out.printf("S3FaultInjectionTests slowdown: %d of %d requests answered 503 SlowDown%n", slowDowns,
				requests);
		// Commits are batched into a few uploads a second, so a 3 s load makes a few dozen requests.
		assertThat(slowDowns).as("requests answered 503 SlowDown of %d", requests).isGreaterThanOrEqualTo(2);
		scenario.assertNothingLost();
	}

	@Test
	void slowResponsesShowLagThatGoesBackToZero() throws Exception {
		proxy.latency(Duration.ofMillis(200));
		Scenario scenario = new Scenario("latency");
		scenario.run((replicator) -> {
			assertThat(scenario.maxLag.get()).as("lag observed under 200 ms per request").isPositive();
			scenario.awaitCaughtUp(replicator);
			assertThat(replicator.status().replicas().get(0).lag()).isZero();
		});
		scenario.assertNothingLost();
	}

	@Test
	void connectionResetsAreReportedThenReplicationCatchesUpWithoutLoss() throws Exception {
		long resetsBefore = proxy.resets();
		Scenario scenario = new Scenario("resets");
		// One reset period per 3 s of load (one in CI, several in a soak run), each followed by a healthy
		// second in which replication must recover.
		int periods = (int) Math.max(1, this.load.toSeconds() / 3);
		AtomicInteger reported = new AtomicInteger();
		AtomicInteger recovered = new AtomicInteger();
		scenario.duringLoad = (replicator) -> {
			Thread.sleep(500);
			for (int period = 0; period < periods; period++) {
				// Every connection is cut a few bytes into its response: no call can succeed.
				proxy.resetAfter(64);
				try {
					assertThat(await(Duration.ofSeconds(10), () -> replicaStatus(replicator).lastError() != null))
						.as("period %d: an error is reported while connections are reset", period).isTrue();
					reported.incrementAndGet();
					scenario.reportedError.set(replicaStatus(replicator).lastError());
					Thread.sleep(1000);
				}
				finally {
					proxy.heal();
				}
				if (await(Duration.ofSeconds(10), () -> replicaStatus(replicator).lastError() == null)) {
					recovered.incrementAndGet();
				}
				Thread.sleep(1000);
			}
		};
		scenario.run(scenario::awaitCaughtUp);
		assertThat(proxy.resets() - resetsBefore).as("connections reset mid-response").isPositive();
		assertThat(reported.get()).as("reset periods reported").isEqualTo(periods);
		assertThat(recovered.get()).as("reset periods recovered from").isEqualTo(periods);
		System.out.printf("S3FaultInjectionTests resets: %d periods, %d connections reset%n", periods,
				proxy.resets() - resetsBefore);
		assertThat(scenario.reportedError.get()).contains("s3://" + BUCKET + "/");
		scenario.assertNothingLost();
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

	/** Work on the running replicator. */
	@FunctionalInterface
	private interface ReplicatorStep {

		void accept(Replicator replicator) throws Exception;

	}

	/**
	 * One database replicated through the proxy under a bounded write load: {@link #duringLoad} runs
	 * while the writer commits, {@code afterLoad} once it stopped, then the replicator stops.
	 */
	private final class Scenario {

		private final String name;

		private final Path db;

		private final String root;

		private final AtomicInteger committed = new AtomicInteger();

		private final AtomicReference<Duration> maxLag = new AtomicReference<>(Duration.ZERO);

		private final AtomicReference<String> reportedError = new AtomicReference<>();

		private ReplicatorStep duringLoad = (replicator) -> {
		};

		private List<String> expected;

		Scenario(String name) {
			this.name = name;
			this.db = S3FaultInjectionTests.this.dir.resolve(name + ".db");
			this.root = "dbs/" + UUID.randomUUID() + "/" + name + ".db";
		}

		void run(ReplicatorStep afterLoad) throws Exception {
			// Small checkpoint thresholds: the WAL restarts during the load, faults or not.
			DatabaseOptions options = DatabaseOptions.defaults(this.db)
				.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1))
				.withCheckpointPageCounts(30, 120, 0);
			AtomicReference<Throwable> writerFailure = new AtomicReference<>();
			try (S3Client s3 = server.client((b) -> b.endpointOverride(proxy.endpoint()));
					TestDatabase app = new TestDatabase(this.db)) {
				S3ReplicaClient client = new S3ReplicaClient(s3, BUCKET, this.root,
						S3ReplicaOptions.defaults().withRetry(QUICK_RETRY));
				Replicator replicator = new Replicator(options, List.of(new Replica(
						ReplicaOptions.defaults("s3").withSyncInterval(Duration.ofMillis(100)), client)));
				replicator.start();
				Thread writer = new Thread(() -> {
					try {
						// Bounded by time and count whatever the main thread does.
						long end = System.nanoTime() + S3FaultInjectionTests.this.load.toNanos();
						for (int i = 0; i < 1_000_000 && System.nanoTime() < end; i++) {
							app.insertBatch(this.committed.get(), 1, 200);
							this.committed.incrementAndGet();
							Thread.sleep(5);
						}
					}
					catch (Throwable ex) {
						writerFailure.set(ex);
					}
				}, "s3-fault-writer-" + this.name);
				Thread lagWatcher = new Thread(() -> {
					// Samples the lag until the writer is done (bounded by the writer's own limit).
					while (writer.isAlive()) {
						Duration lag = replicaStatus(replicator).lag();
						this.maxLag.accumulateAndGet(lag, (a, b) -> (a.compareTo(b) >= 0) ? a : b);
						try {
							Thread.sleep(20);
						}
						catch (InterruptedException ex) {
							return;
						}
					}
				}, "s3-fault-lag-" + this.name);
				lagWatcher.setDaemon(true);
				try {
					writer.start();
					lagWatcher.start();
					this.duringLoad.accept(replicator);
					writer.join(S3FaultInjectionTests.this.load.plusSeconds(10).toMillis());
					assertThat(writer.isAlive()).as("writer finished").isFalse();
					assertThat(writerFailure.get()).as("writer failure").isNull();
					lagWatcher.join(2000);
					afterLoad.accept(replicator);
				}
				finally {
					writer.interrupt();
					writer.join(10_000);
					replicator.stop(Duration.ofSeconds(10));
				}
				this.expected = app.rows();
			}
			assertThat(this.expected).hasSize(this.committed.get());
		}

		/** Waits until the replica holds the local position with no error. */
		void awaitCaughtUp(Replicator replicator) throws Exception {
			long start = System.nanoTime();
			// The monitor notices the last commits within its interval; then the replica must follow.
			Thread.sleep(200);
			assertThat(await(CATCH_UP_LIMIT, () -> {
				ReplicationStatus status = replicator.status();
				return status.replicas().get(0).isCurrent(status.position());
			})).as("%s: caught up: %s", this.name, replicator.status()).isTrue();
			System.out.printf("S3FaultInjectionTests %s: caught up %d ms after the load%n", this.name,
					(System.nanoTime() - start) / 1_000_000);
		}

		/** Restores the replica directly from S3Proxy and compares it with the live table. */
		void assertNothingLost() throws Exception {
			Path restored = S3FaultInjectionTests.this.dir.resolve(this.name + "-restored.db");
			try (S3Client direct = server.client()) {
				RestoreResult result = new Restorer(
						new S3ReplicaClient(direct, BUCKET, this.root, S3ReplicaOptions.defaults()))
					.restore(RestoreOptions.latest(restored));
				assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
			}
			assertThat(TestDatabase.integrityCheck(restored)).isEqualTo("ok");
			List<String> rows = TestDatabase.rows(restored);
			assertThat(rows).as("%s: restored rows vs. committed", this.name).isEqualTo(this.expected);
			Soak.report("S3FaultInjectionTests", "scenario=" + this.name + " committed=" + this.committed.get()
					+ " restored=" + rows.size() + " lost=" + (this.expected.size() - rows.size()) + " maxLagMs="
					+ this.maxLag.get().toMillis() + " error=" + (this.reportedError.get() != null));
		}

	}

}
