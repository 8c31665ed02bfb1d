package io.github.litestreamspring.engine.replication;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
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
 * Shipping driven by commits rather than polling: a notification ships at once, waiters share uploads,
 * an idle database costs no storage request.
 */
class CommitDrivenShippingTests {

	@TempDir
	Path dir;

	/** Monitor interval of an hour: anything that ships here was driven by a notification. */
	private Replicator replicator(Duration syncInterval, Duration monitorInterval, CountingListener listener) {
		DatabaseOptions options = DatabaseOptions.defaults(this.dir.resolve("app.db"))
			.withIntervals(monitorInterval, Duration.ofMinutes(1));
		Replica replica = new Replica(ReplicaOptions.defaults("file").withSyncInterval(syncInterval),
				new FileReplicaClient(this.dir.resolve("replica")));
		Replicator replicator = new Replicator(options, List.of(replica), Duration.ofMillis(2));
		replicator.setListener(listener);
		return replicator;
	}

	@Test
	void aCommitNotificationShipsWithoutWaitingForThePoll() throws Exception {
		CountingListener listener = new CountingListener();
		try (TestDatabase app = new TestDatabase(this.dir.resolve("app.db"));
				Replicator replicator = replicator(Duration.ZERO, Duration.ofHours(1), listener)) {
			replicator.start();
			Pos before = replicator.syncNow();
			app.insertBatch(1, 5, 50);
			replicator.notifyChange();
			awaitShipped(replicator, before, Duration.ofSeconds(5));
			assertThat(restoredRows()).isEqualTo(app.rows());
		}
	}

	@Test
	void theSyncIntervalStillBoundsHowLongACommitWaits() throws Exception {
		CountingListener listener = new CountingListener();
		try (TestDatabase app = new TestDatabase(this.dir.resolve("app.db"));
				Replicator replicator = replicator(Duration.ofMillis(300), Duration.ofHours(1), listener)) {
			replicator.start();
			Pos before = replicator.syncNow();
			app.insertBatch(1, 5, 50);
			replicator.notifyChange();
			// Not polled for an hour, but due within 300 ms of the last upload.
			awaitShipped(replicator, before, Duration.ofSeconds(5));
			assertThat(restoredRows()).isEqualTo(app.rows());
		}
	}

	@Test
	void concurrentWaitersShareUploads() throws Exception {
		CountingListener listener = new CountingListener();
		int writers = 16;
		try (Replicator replicator = replicator(Duration.ofHours(1), Duration.ofHours(1), listener)) {
			new TestDatabase(this.dir.resolve("app.db")).close();
			replicator.start();
			replicator.syncNow();
			int putsBefore = listener.operations(ObservedReplicaClient.Operation.PUT);
			ExecutorService pool = Executors.newFixedThreadPool(writers);
			try {
				List<Future<Pos>> acks = new ArrayList<>();
				for (int i = 0; i < writers; i++) {
					int batch = i;
					acks.add(pool.submit(() -> {
						try (TestDatabase app = new TestDatabase(this.dir.resolve("app.db"))) {
							app.insertBatch(batch, 1, 20);
						}
						return replicator.awaitDurable(Duration.ofSeconds(20));
					}));
				}
				for (Future<Pos> ack : acks) {
					assertThat(ack.get()).isNotNull();
				}
			}
			finally {
				pool.shutdownNow();
			}
			// Every acknowledged row is in the replica ...
			assertThat(restoredRows()).hasSize(writers);
			// ... and the 16 waiters did not cost 16 uploads.
			int puts = listener.operations(ObservedReplicaClient.Operation.PUT) - putsBefore;
			assertThat(puts).isPositive().isLessThan(writers);
		}
	}

	@Test
	void anIdleDatabaseCostsNoStorageRequest() throws Exception {
		CountingListener listener = new CountingListener();
		try (TestDatabase app = new TestDatabase(this.dir.resolve("app.db"));
				Replicator replicator = replicator(Duration.ofMillis(20), Duration.ofMillis(20), listener)) {
			replicator.start();
			app.insertBatch(1, 5, 50);
			Pos synced = replicator.syncNow();
			int before = listener.total();
			Thread.sleep(1500); // about 75 polls of the WAL
			assertThat(listener.total()).as("storage calls while idle").isEqualTo(before);
			app.insertBatch(2, 5, 50);
			awaitShipped(replicator, synced, Duration.ofSeconds(5));
			assertThat(listener.total()).isGreaterThan(before);
		}
	}

	private List<String> restoredRows() throws Exception {
		Path out = this.dir.resolve("restored-" + System.nanoTime() + ".db");
		new Restorer(new FileReplicaClient(this.dir.resolve("replica"))).restore(RestoreOptions.latest(out));
		return TestDatabase.rows(out);
	}

	/** Waits until the local position has moved past {@code before} and the replica has caught up. */
	private static void awaitShipped(Replicator replicator, Pos before, Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			ReplicationStatus status = replicator.status();
			if (!status.position().equals(before) && status.replicas().get(0).position().equals(status.position())) {
				return;
			}
			Thread.sleep(5);
		}
		throw new AssertionError("replica did not catch up within " + timeout + ": " + replicator.status());
	}

	static final class CountingListener implements ReplicationListener {

		private final ConcurrentHashMap<ObservedReplicaClient.Operation, AtomicInteger> counts = new ConcurrentHashMap<>();

		@Override
		public void onStorageOperation(Replica replica, ObservedReplicaClient.Operation operation) {
			this.counts.computeIfAbsent(operation, (o) -> new AtomicInteger()).incrementAndGet();
		}

		int operations(ObservedReplicaClient.Operation operation) {
			AtomicInteger n = this.counts.get(operation);
			return (n != null) ? n.get() : 0;
		}

		int total() {
			return this.counts.values().stream().mapToInt(AtomicInteger::get).sum();
		}

	}

}
