package io.github.litestreamspring.engine.replication;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

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
 * A busy writer's WAL is copied and restarted while the replication thread is stuck in a slow upload
 * (the database monitor's local passes), and a snapshot upload does not hold back local syncs. Before
 * these, one slow upload let the WAL grow for as long as it lasted.
 */
class BusyWriterTests {

	@TempDir
	Path dir;

	/** Blocks every PUT while closed; opens for good on {@link #open()}. */
	private final Gate gate = new Gate();

	private Replicator replicator() {
		// RESTART at 1,000 pages: each round of 2,100 one-page commits below must restart the WAL.
		DatabaseOptions options = DatabaseOptions.defaults(this.dir.resolve("app.db"))
			.withIntervals(Duration.ofHours(1), Duration.ofMinutes(1))
			.withCheckpointPageCounts(100, 1000, 0);
		ObservedReplicaClient gated = new ObservedReplicaClient(new FileReplicaClient(this.dir.resolve("replica")),
				(operation) -> {
					if (operation == ObservedReplicaClient.Operation.PUT) {
						this.gate.pass();
					}
				});
		Replica replica = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ZERO), gated);
		return new Replicator(options, List.of(replica), Duration.ZERO);
	}

	@Test
	void theWalIsRestartedWhileAnUploadIsStuck() throws Exception {
		try (TestDatabase app = new TestDatabase(this.dir.resolve("app.db"));
				Replicator replicator = replicator()) {
			long startIndex = startWithAStuckUpload(app, replicator);
			// Three rounds of commits, each enough for a local pass; each must restart the WAL although
			// the only replication thread is inside an upload.
			for (int round = 1; round <= 3; round++) {
				for (int i = 0; i < 2100; i++) {
					app.insertBatch(round * 10_000 + i, 1, 200);
					replicator.notifyChange();
				}
				long expected = startIndex + round;
				assertThat(awaitIndex(replicator, expected, Duration.ofSeconds(20)))
					.as("WAL index after round %d (upload still stuck)", round)
					.isGreaterThanOrEqualTo(expected);
			}
			assertUnstuckReplicaRestoresEverything(app, replicator);
		}
	}

	@Test
	void aSlowWritersWalIsRestartedWhileAnUploadIsStuck() throws Exception {
		// Far fewer commits than a local pass per 1,024: while the replication thread is stuck (as in S3
		// retries while the service is down), the monitor must still be asked every 100 ms.
		try (TestDatabase app = new TestDatabase(this.dir.resolve("app.db"));
				Replicator replicator = replicator()) {
			long startIndex = startWithAStuckUpload(app, replicator);
			// 600 commits of one page each, 5 ms apart: 6 times the PASSIVE threshold (100 pages).
			for (int i = 0; i < 600; i++) {
				app.insertBatch(1000 + i, 1, 3000);
				replicator.notifyChange();
				Thread.sleep(5);
			}
			assertThat(awaitIndex(replicator, startIndex + 2, Duration.ofSeconds(10)))
				.as("WAL index after 600 slow commits (upload still stuck)")
				.isGreaterThanOrEqualTo(startIndex + 2);
			assertUnstuckReplicaRestoresEverything(app, replicator);
		}
	}

	@Test
	void aSnapshotUploadDoesNotHoldBackLocalSyncs() throws Exception {
		try (TestDatabase app = new TestDatabase(this.dir.resolve("app.db"));
				Replicator replicator = replicator()) {
			replicator.start();
			app.insertBatch(0, 100, 500);
			replicator.syncNow();
			this.gate.close();
			CompletableFuture<List<?>> snapshot = CompletableFuture.supplyAsync(replicator::snapshotNow);
			assertThat(this.gate.awaitBlocked(Duration.ofSeconds(10))).as("the snapshot upload is stuck").isTrue();
			Pos before = replicator.database().position();
			app.insertBatch(1, 100, 500);
			// The local sync must not wait for the snapshot's upload.
			Pos after = CompletableFuture.supplyAsync(() -> replicator.database().sync().position())
				.get(10, TimeUnit.SECONDS);
			assertThat(after.compareTo(before)).as("local position moved on during the snapshot upload").isPositive();
			assertThat(Files.exists(replicator.database().localState().metaDir().resolve("snapshot.db.tmp")))
				.as("the snapshot is read from a staged copy").isTrue();
			this.gate.open();
			assertThat(snapshot.get(30, TimeUnit.SECONDS)).hasSize(1);
			assertThat(Files.exists(replicator.database().localState().metaDir().resolve("snapshot.db.tmp")))
				.as("the staged copy is gone after the upload").isFalse();
			replicator.syncNow();
			assertThat(restoredRows()).isEqualTo(app.rows());
		}
	}

	@Test
	void whatTheMonitorCopiedShipsWhileItsCheckpointStillHoldsTheDatabase() throws Exception {
		// The monitor's local pass copies the commits and then keeps the database (as a checkpoint's fsyncs
		// and back-fill do, here for as long as the test wants); the replication thread must ship what
		// was copied instead of waiting for the database.
		CountDownLatch holding = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		AtomicBoolean hold = new AtomicBoolean();
		Replica replica = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ZERO),
				new FileReplicaClient(this.dir.resolve("replica")));
		DatabaseOptions options = DatabaseOptions.defaults(this.dir.resolve("app.db"))
			.withIntervals(Duration.ofHours(1), Duration.ofMinutes(1));
		try (TestDatabase app = new TestDatabase(this.dir.resolve("app.db"));
				Replicator replicator = new Replicator(options, List.of(replica), Duration.ZERO)) {
			replicator.setListener(new ReplicationListener() {
				@Override
				public void onSync(io.github.litestreamspring.engine.db.SyncResult result, long nanos) {
					if (Thread.currentThread().getName().startsWith("litestream-monitor-") && hold.get()) {
						holding.countDown();
						try {
							release.await(30, TimeUnit.SECONDS);
						}
						catch (InterruptedException ex) {
							Thread.currentThread().interrupt();
						}
					}
				}
			});
			replicator.start();
			replicator.syncNow();
			hold.set(true);
			// Commits the engine is not told about: only the monitor's pass copies them.
			app.insertBatch(0, 20, 200);
			replicator.requestLocalPass();
			assertThat(holding.await(10, TimeUnit.SECONDS)).as("the monitor holds the database").isTrue();
			Pos copied = replicator.database().position();
			try {
				replicator.notifyChange();
				Pos shipped = awaitReplicaPosition(replicator, copied, Duration.ofSeconds(10));
				assertThat(shipped).as("replica position while the monitor still holds the database")
					.isEqualTo(copied);
				assertThat(holding.getCount()).isZero();
				assertThat(release.getCount()).as("still held").isEqualTo(1);
			}
			finally {
				hold.set(false);
				release.countDown();
			}
			replicator.syncNow();
			assertThat(restoredRows()).isEqualTo(app.rows());
		}
	}

	@Test
	void aBusyWriterAtLowLatencyLeavesEveryIndexWholeInTheReplica() throws Exception {
		// Default checkpoint thresholds, no gate: the monitor and the replication thread both work while a
		// writer commits as fast as it can; every index must start at offset 0 and restore completely.
		DatabaseOptions options = DatabaseOptions.defaults(this.dir.resolve("app.db"))
			.withIntervals(Duration.ofMillis(200), Duration.ofMinutes(1))
			.withCheckpointPageCounts(200, 2000, 0);
		Path replicaDir = this.dir.resolve("replica");
		Replica replica = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ZERO),
				new FileReplicaClient(replicaDir));
		try (TestDatabase app = new TestDatabase(this.dir.resolve("app.db"));
				Replicator replicator = new Replicator(options, List.of(replica), Duration.ofMillis(2))) {
			replicator.start();
			long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
			for (int i = 0; i < 40_000 && System.nanoTime() < deadline; i++) {
				app.insertOne(i, 100);
				replicator.notifyChange();
			}
			replicator.syncNow();
			assertThat(replicator.database().position().index()).as("WAL restarts during the run").isGreaterThan(2);
			FileReplicaClient client = new FileReplicaClient(replicaDir);
			String generation = replicator.database().position().generation();
			java.util.Map<Long, Long> firstOffset = new java.util.TreeMap<>();
			for (var segment : client.walSegments(generation)) {
				firstOffset.merge(segment.index(), segment.offset(), Math::min);
			}
			assertThat(firstOffset.values()).as("first segment offset of every index").containsOnly(0L);
			assertThat(restoredRows()).isEqualTo(app.rows());
		}
	}

	/** Starts replication and blocks its next upload; returns the WAL index at that moment. */
	private long startWithAStuckUpload(TestDatabase app, Replicator replicator) throws Exception {
		replicator.start();
		replicator.syncNow();
		this.gate.close();
		app.insertBatch(0, 1, 50);
		replicator.notifyChange();
		assertThat(this.gate.awaitBlocked(Duration.ofSeconds(10))).as("an upload is stuck").isTrue();
		return replicator.database().position().index();
	}

	/** The upload must still be stuck; once let through, the replica must restore every row. */
	private void assertUnstuckReplicaRestoresEverything(TestDatabase app, Replicator replicator) throws Exception {
		assertThat(this.gate.blockedNow()).as("the upload was stuck throughout").isTrue();
		this.gate.open();
		replicator.syncNow();
		assertThat(restoredRows()).isEqualTo(app.rows());
	}

	private static long awaitIndex(Replicator replicator, long index, Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (replicator.database().position().index() < index && System.nanoTime() < deadline) {
			Thread.sleep(10);
		}
		return replicator.database().position().index();
	}

	private static Pos awaitReplicaPosition(Replicator replicator, Pos expected, Duration timeout)
			throws InterruptedException {
		Replica replica = replicator.replicas().get(0);
		long deadline = System.nanoTime() + timeout.toNanos();
		while (!expected.equals(replica.position()) && System.nanoTime() < deadline) {
			Thread.sleep(10);
		}
		return replica.position();
	}

	private List<String> restoredRows() throws Exception {
		Path out = this.dir.resolve("restored-" + System.nanoTime() + ".db");
		new Restorer(new FileReplicaClient(this.dir.resolve("replica"))).restore(RestoreOptions.latest(out));
		return TestDatabase.rows(out);
	}

	private static final class Gate {

		private final AtomicBoolean closed = new AtomicBoolean();

		private final CountDownLatch opened = new CountDownLatch(1);

		private final CountDownLatch blocked = new CountDownLatch(1);

		private volatile boolean blockedNow;

		void close() {
			this.closed.set(true);
		}

		void open() {
			this.closed.set(false);
			this.opened.countDown();
		}

		void pass() {
			if (!this.closed.get()) {
				return;
			}
			this.blockedNow = true;
			this.blocked.countDown();
			try {
				this.opened.await(60, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			this.blockedNow = false;
		}

		boolean awaitBlocked(Duration timeout) throws InterruptedException {
			return this.blocked.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}

		boolean blockedNow() {
			return this.blockedNow;
		}

	}

}
