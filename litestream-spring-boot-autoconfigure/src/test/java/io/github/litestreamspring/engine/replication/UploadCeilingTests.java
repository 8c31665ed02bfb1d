package io.github.litestreamspring.engine.replication;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.replica.ObservedReplicaClient;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The upload ceiling ({@link ReplicaOptions#maxUploadsPerSecond()}) of low-latency mode (sync interval
 * zero): a lone commit still ships at once, a burst costs at most the ceiling's uploads, durability
 * waiters wait at most one interval of it, and the default sync interval is not affected. Real SQLite, a
 * file replica, uploads counted by the replication listener.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UploadCeilingTests {

	@TempDir
	Path dir;

	/** Monitor interval of an hour: anything that ships was driven by a notification or a schedule. */
	private Replicator replicator(Duration syncInterval, int maxUploadsPerSecond, CountingListener listener) {
		DatabaseOptions options = DatabaseOptions.defaults(this.dir.resolve("app.db"))
			.withIntervals(Duration.ofHours(1), Duration.ofMinutes(1));
		Replica replica = new Replica(ReplicaOptions.defaults("file")
			.withSyncInterval(syncInterval)
			.withMaxUploadsPerSecond(maxUploadsPerSecond), new FileReplicaClient(this.dir.resolve("replica")));
		Replicator replicator = new Replicator(options, List.of(replica), Duration.ofMillis(2));
		replicator.setListener(listener);
		return replicator;
	}

	@Test
	void aLoneCommitAfterAQuietSpellShipsAtOnceDespiteALowCeiling() throws Exception {
		CountingListener listener = new CountingListener();
		try (TestDatabase app = new TestDatabase(this.dir.resolve("app.db"));
				Replicator replicator = replicator(Duration.ZERO, 1, listener)) {
			replicator.start();
			app.insertBatch(0, 5, 50);
			replicator.syncNow();
			for (int i = 1; i <= 2; i++) {
				// Quieter than one interval of the ceiling (1 s): the next upload may start at once.
				Thread.sleep(1100);
				Pos before = replicator.status().position();
				long committed = System.nanoTime();
				app.insertOne(i, 50);
				replicator.notifyChange();
				Duration shipped = awaitShipped(replicator, before, Duration.ofSeconds(5));
				assertThat(shipped).as("lone commit %d shipped after", i).isLessThan(Duration.ofMillis(250));
				assertThat(Duration.ofNanos(System.nanoTime() - committed)).isLessThan(Duration.ofMillis(500));
			}
			assertThat(restoredRows()).isEqualTo(app.rows());
		}
	}

	@Test
	void aBurstOfCommitsWithinOneSecondCostsAtMostTheCeilingPlusOneUploadsAndLosesNothing() throws Exception {
		int ceiling = 5;
		CountingListener listener = new CountingListener();
		try (TestDatabase app = new TestDatabase(this.dir.resolve("app.db"));
				Replicator replicator = replicator(Duration.ZERO, ceiling, listener)) {
			replicator.start();
			app.insertBatch(0, 5, 50);
			Pos before = replicator.syncNow();
			Thread.sleep(300); // past the interval of syncNow's upload
			int syncsBefore = listener.syncs.get();
			int commits = 0;
			long start = System.nanoTime();
			// Commits every ~2 ms for 900 ms: low-latency mode without a ceiling ships a segment per commit window.
			while (commits < 2000 && System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(900)) {
				app.insertOne(commits + 1, 50);
				replicator.notifyChange();
				commits++;
				Thread.sleep(2);
			}
			awaitShipped(replicator, before, Duration.ofSeconds(5));
			int uploads = listener.syncs.get() - syncsBefore;
			assertThat(commits).as("commits made").isGreaterThan(50);
			assertThat(uploads).as("uploads for %d commits in under a second", commits)
				.isPositive()
				.isLessThanOrEqualTo(ceiling + 1);
			replicator.awaitDurable(Duration.ofSeconds(5));
			assertThat(restoredRows()).isEqualTo(app.rows());
		}
	}

	@Test
	void durabilityWaitersCountAgainstTheCeilingAndWaitAtMostOneIntervalOfIt() throws Exception {
		int ceiling = 4; // one upload every 250 ms
		CountingListener listener = new CountingListener();
		try (TestDatabase app = new TestDatabase(this.dir.resolve("app.db"));
				Replicator replicator = replicator(Duration.ZERO, ceiling, listener)) {
			replicator.start();
			app.insertBatch(0, 5, 50);
			replicator.syncNow();
			Thread.sleep(300);
			int syncsBefore = listener.syncs.get();
			long start = System.nanoTime();
			long longestWait = 0;
			int waits = 0;
			// A caller that waits for durability after each of its commits, for about a second.
			while (waits < 500 && System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(900)) {
				app.insertOne(waits + 1, 50);
				replicator.notifyChange();
				long waitStarted = System.nanoTime();
				Pos durable = replicator.awaitDurable(Duration.ofSeconds(5));
				longestWait = Math.max(longestWait, System.nanoTime() - waitStarted);
				assertThat(replicator.replicas().get(0).position().compareTo(durable)).isGreaterThanOrEqualTo(0);
				waits++;
			}
			int uploads = listener.syncs.get() - syncsBefore;
			assertThat(uploads).as("uploads for %d durability waits in under a second", waits)
				.isLessThanOrEqualTo(ceiling + 1);
			// One interval (250 ms), plus the upload and a loaded machine's scheduling.
			assertThat(Duration.ofNanos(longestWait)).as("longest durability wait").isLessThan(Duration.ofMillis(600));
			assertThat(restoredRows()).isEqualTo(app.rows());
		}
	}

	@Test
	void syncNowIsNotHeldToTheCeiling() throws Exception {
		CountingListener listener = new CountingListener();
		try (TestDatabase app = new TestDatabase(this.dir.resolve("app.db"));
				Replicator replicator = replicator(Duration.ZERO, 1, listener)) {
			replicator.start();
			app.insertBatch(0, 5, 50);
			replicator.syncNow();
			app.insertBatch(1, 5, 50);
			long started = System.nanoTime();
			Pos synced = replicator.syncNow();
			assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(500));
			assertThat(replicator.replicas().get(0).position()).isEqualTo(synced);
			assertThat(restoredRows()).isEqualTo(app.rows());
		}
	}

	@Test
	void theDefaultSyncIntervalIsLongerThanTheDefaultCeilingAndStillDecides() throws Exception {
		CountingListener listener = new CountingListener();
		ReplicaOptions defaults = ReplicaOptions.defaults("file");
		assertThat(defaults.minUploadInterval()).isLessThan(defaults.syncInterval());
		try (TestDatabase app = new TestDatabase(this.dir.resolve("app.db"));
				Replicator replicator = replicator(defaults.syncInterval(), defaults.maxUploadsPerSecond(), listener)) {
			replicator.start();
			app.insertBatch(0, 5, 50);
			Pos before = replicator.syncNow();
			int syncsBefore = listener.syncs.get();
			long start = System.nanoTime();
			int commits = 0;
			while (commits < 2000 && System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(2200)) {
				app.insertOne(commits + 1, 50);
				replicator.notifyChange();
				commits++;
				Thread.sleep(5);
			}
			awaitShipped(replicator, before, Duration.ofSeconds(5));
			// One upload a second while commits come, as before the ceiling existed: not one per 100 ms.
			assertThat(listener.syncs.get() - syncsBefore).as("uploads in 2.2 s of commits").isBetween(1, 4);
			replicator.awaitDurable(Duration.ofSeconds(5));
			assertThat(restoredRows()).isEqualTo(app.rows());
		}
	}

	private List<String> restoredRows() throws Exception {
		Path out = this.dir.resolve("restored-" + System.nanoTime() + ".db");
		new Restorer(new FileReplicaClient(this.dir.resolve("replica"))).restore(RestoreOptions.latest(out));
		return TestDatabase.rows(out);
	}

	/**
	 * Waits until the local position has moved past {@code before} and the replica holds it; returns how
	 * long that took.
	 */
	private static Duration awaitShipped(Replicator replicator, Pos before, Duration timeout)
			throws InterruptedException {
		long started = System.nanoTime();
		long deadline = started + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			ReplicationStatus status = replicator.status();
			if (!status.position().equals(before) && status.replicas().get(0).position().equals(status.position())) {
				return Duration.ofNanos(System.nanoTime() - started);
			}
			Thread.sleep(1);
		}
		throw new AssertionError("replica did not catch up within " + timeout + ": " + replicator.status());
	}

	private static final class CountingListener implements ReplicationListener {

		final AtomicInteger syncs = new AtomicInteger();

		final AtomicInteger puts = new AtomicInteger();

		@Override
		public void onReplicaSync(Replica replica, long uncompressedBytes, long nanos) {
			this.syncs.incrementAndGet();
		}

		@Override
		public void onStorageOperation(Replica replica, ObservedReplicaClient.Operation operation) {
			if (operation == ObservedReplicaClient.Operation.PUT) {
				this.puts.incrementAndGet();
			}
		}

	}

}
