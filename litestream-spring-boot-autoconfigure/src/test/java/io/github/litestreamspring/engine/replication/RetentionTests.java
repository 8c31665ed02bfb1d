package io.github.litestreamspring.engine.replication;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retention deletes what no restore inside the window needs, and nothing else: the snapshot a restore
 * to the window's start needs survives (Litestream deletes it), older snapshots and WAL go, and old
 * generations go only once a newer one covers the whole window.
 */
class RetentionTests {

	private static final String G1 = "1111111111111111";

	private static final String G2 = "2222222222222222";

	private static final String G3 = "3333333333333333";

	@TempDir
	Path dir;

	// ---- the selection, on objects with chosen timestamps ------------------------------------------

	@Test
	void keepsTheNewestSnapshotBeforeTheBoundaryAndDeletesWhatIsBelowIt() throws Exception {
		Path root = this.dir.resolve("replica");
		FileReplicaClient client = new FileReplicaClient(root);
		Instant now = Instant.parse("2026-01-01T12:00:00Z");
		Instant boundary = now.minus(Duration.ofHours(24));
		snapshot(root, G1, 1, boundary.minusSeconds(7200));
		segment(root, G1, 1, 0, boundary.minusSeconds(7100));
		snapshot(root, G1, 2, boundary.minusSeconds(3600));
		segment(root, G1, 2, 0, boundary.minusSeconds(3500));
		segment(root, G1, 2, 4096, boundary.plusSeconds(100));
		snapshot(root, G1, 3, boundary.plusSeconds(3600));
		segment(root, G1, 3, 0, boundary.plusSeconds(3700));

		Retention.Result result = new Retention(client).enforce(G1, boundary);

		assertThat(result).isEqualTo(new Retention.Result(1, 1, 0));
		assertThat(client.snapshots(G1)).extracting(SnapshotInfo::index).containsExactly(2L, 3L);
		assertThat(client.walSegments(G1)).extracting(WalSegmentInfo::pos)
			.containsExactly(new Pos(G1, 2, 0), new Pos(G1, 2, 4096), new Pos(G1, 3, 0));
	}

	@Test
	void deletesTheCompactedWalOfTheIndexesBelowTheKeptSnapshots() throws Exception {
		Path root = this.dir.resolve("replica");
		FileReplicaClient client = new FileReplicaClient(root);
		Instant boundary = Instant.parse("2026-01-01T00:00:00Z");
		snapshot(root, G1, 1, boundary.minusSeconds(7200));
		segment(root, G1, 1, 0, boundary.minusSeconds(7100));
		client.writeCompactedWal(new Pos(G1, 1, 0), 4152, true, new java.io.ByteArrayInputStream(new byte[] { 1 }));
		snapshot(root, G1, 2, boundary.minusSeconds(3600));
		segment(root, G1, 2, 0, boundary.minusSeconds(3500));
		client.writeCompactedWal(new Pos(G1, 2, 0), 4152, true, new java.io.ByteArrayInputStream(new byte[] { 2 }));
		segment(root, G1, 3, 0, boundary.plusSeconds(100));

		new Retention(client).enforce(G1, boundary);

		assertThat(client.compactedWals(G1)).extracting(io.github.litestreamspring.engine.CompactedWalInfo::index)
			.containsExactly(2L);
		assertThat(client.walSegments(G1)).extracting(WalSegmentInfo::index).containsExactly(2L, 3L);
	}

	@Test
	void deletesAnOldGenerationOnlyOnceANewerOneCoversTheWholeWindow() throws Exception {
		Path root = this.dir.resolve("replica");
		FileReplicaClient client = new FileReplicaClient(root);
		Instant boundary = Instant.parse("2026-01-01T00:00:00Z");
		// G1: entirely before the boundary, superseded by G2, which has a snapshot before the boundary.
		snapshot(root, G1, 0, boundary.minusSeconds(9000));
		segment(root, G1, 0, 0, boundary.minusSeconds(8000));
		// G2: started before the boundary, ended inside the window.
		snapshot(root, G2, 0, boundary.minusSeconds(5000));
		segment(root, G2, 0, 0, boundary.plusSeconds(100));
		// G3 (current): started inside the window, so a restore to the boundary still picks G2.
		snapshot(root, G3, 0, boundary.plusSeconds(200));

		Retention.Result result = new Retention(client).enforce(G3, boundary);

		assertThat(result.generations()).isEqualTo(1);
		assertThat(client.generations()).containsExactly(G2, G3);
	}

	@Test
	void keepsTheGenerationARestoreToTheWindowStartNeedsEvenIfAllItsObjectsAreOld() throws Exception {
		Path root = this.dir.resolve("replica");
		FileReplicaClient client = new FileReplicaClient(root);
		Instant boundary = Instant.parse("2026-01-01T00:00:00Z");
		snapshot(root, G1, 0, boundary.minusSeconds(9000));
		segment(root, G1, 0, 0, boundary.minusSeconds(8000));
		// The current generation started inside the window: G1's last state is what the window began with.
		snapshot(root, G2, 0, boundary.plusSeconds(60));

		Retention.Result result = new Retention(client).enforce(G2, boundary);

		assertThat(result).isEqualTo(new Retention.Result(0, 0, 0));
		assertThat(client.generations()).containsExactly(G1, G2);
	}

	@Test
	void neverDeletesTheCurrentGenerationAndDropsEmptyOnes() throws Exception {
		Path root = this.dir.resolve("replica");
		FileReplicaClient client = new FileReplicaClient(root);
		Instant boundary = Instant.parse("2026-01-01T00:00:00Z");
		snapshot(root, G1, 0, boundary.minusSeconds(9000));
		snapshot(root, G2, 0, boundary.minusSeconds(3000));
		Files.createDirectories(root.resolve(ReplicaPaths.walPath("", G3)));

		Retention.Result result = new Retention(client).enforce(G1, boundary);

		// G1 is current although G2 is newer; G3 is an empty leftover.
		assertThat(client.generations()).containsExactly(G1, G2);
		assertThat(result.generations()).isEqualTo(1);
	}

	// ---- through the replicator ----------------------------------------------------------------------

	@Test
	void replicatorEnforcesRetentionAndPointInTimeRestoreInsideTheWindowStillWorks() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		FileReplicaClient client = new FileReplicaClient(replicaDir);
		Duration retention = Duration.ofSeconds(2);
		ReplicaOptions replicaOptions = new ReplicaOptions("file", Duration.ofMillis(50), Duration.ofMillis(600),
				retention, Duration.ofMillis(400), 0);
		CountingListener listener = new CountingListener();
		List<Instant> times = new ArrayList<>();
		List<List<String>> states = new ArrayList<>();
		Instant started = Instant.now();
		Instant stoppedAt;
		try (TestDatabase app = new TestDatabase(db);
				Replicator replicator = new Replicator(options(db), List.of(new Replica(replicaOptions, client)))) {
			replicator.setListener(listener);
			replicator.start();
			long end = System.nanoTime() + Duration.ofMillis(4500).toNanos();
			for (int batch = 0; batch < 1000 && System.nanoTime() < end; batch++) {
				app.insertBatch(batch, 5, 300);
				replicator.awaitDurable(Duration.ofSeconds(10));
				times.add(Instant.now());
				states.add(app.rows());
				// Later uploads get a later file time even with a coarse file-system clock.
				Thread.sleep(40);
			}
			replicator.stop();
			stoppedAt = Instant.now();
		}
		assertThat(listener.runs.get()).as("retention checks").isGreaterThanOrEqualTo(5);
		assertThat(listener.snapshots.get()).as("snapshots deleted").isGreaterThan(0);
		assertThat(listener.segments.get()).as("WAL segments deleted").isGreaterThan(0);
		String generation = client.generations().get(0);
		List<SnapshotInfo> snapshots = client.snapshots(generation);
		assertThat(snapshots.get(0).createdAt()).as("the first snapshots are gone").isAfter(started.plusSeconds(1));
		assertThat(snapshots.get(0).createdAt()).as("a base for the window's start is kept")
			.isBefore(stoppedAt.minus(retention));
		assertThat(client.walSegments(generation)).allMatch((s) -> s.index() >= snapshots.get(0).index());
		int checked = 0;
		for (int i = 0; i < times.size(); i++) {
			if (times.get(i).isAfter(stoppedAt.minus(retention))) {
				Path out = this.dir.resolve("pitr-" + i + ".db");
				RestoreResult result = new Restorer(client).restore(RestoreOptions.latest(out).asOf(times.get(i)));
				assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
				assertThat(TestDatabase.rows(out)).as("state at " + times.get(i)).isEqualTo(states.get(i));
				assertThat(TestDatabase.integrityCheck(out)).isEqualTo("ok");
				checked++;
				i += 4;
			}
		}
		assertThat(checked).as("restores inside the window").isGreaterThan(3);
	}

	@Test
	void withoutASnapshotIntervalRetentionTakesTheSnapshotItNeeds() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		FileReplicaClient client = new FileReplicaClient(replicaDir);
		ReplicaOptions replicaOptions = new ReplicaOptions("file", Duration.ofMillis(50), Duration.ZERO,
				Duration.ofMillis(1000), Duration.ofMillis(300), 0);
		CountingListener listener = new CountingListener();
		try (TestDatabase app = new TestDatabase(db);
				Replicator replicator = new Replicator(options(db), List.of(new Replica(replicaOptions, client)))) {
			replicator.setListener(listener);
			replicator.start();
			app.insertBatch(0, 10, 100);
			replicator.syncNow();
			// Idle database: the retention checks must still move the base forward.
			long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
			while (listener.snapshots.get() < 2 && System.nanoTime() < end) {
				Thread.sleep(50);
			}
			List<String> expected = app.rows();
			replicator.stop();
			assertThat(listener.snapshots.get()).as("snapshots deleted").isGreaterThanOrEqualTo(2);
			String generation = client.generations().get(0);
			assertThat(client.snapshots(generation)).hasSizeBetween(1, 3);
			Path out = this.dir.resolve("restored.db");
			new Restorer(client).restore(RestoreOptions.latest(out));
			assertThat(TestDatabase.rows(out)).isEqualTo(expected);
		}
	}

	@Test
	void snapshotIntervalAddsRestorePointsWithoutReplacingOne() throws Exception {
		Path db = this.dir.resolve("app.db");
		FileReplicaClient client = new FileReplicaClient(this.dir.resolve("replica"));
		ReplicaOptions replicaOptions = new ReplicaOptions("file", Duration.ofMillis(50), Duration.ofMillis(400),
				Duration.ZERO, null, 0);
		try (TestDatabase app = new TestDatabase(db);
				Replicator replicator = new Replicator(options(db), List.of(new Replica(replicaOptions, client)))) {
			replicator.start();
			app.insertBatch(0, 10, 100);
			Pos pos = replicator.syncNow();
			Thread.sleep(2100);
			replicator.stop();
			List<SnapshotInfo> snapshots = client.snapshots(pos.generation());
			// One at the start, then one every 400 ms (idle database: each at a new index).
			assertThat(snapshots).hasSizeBetween(4, 7);
			for (int i = 1; i < snapshots.size(); i++) {
				assertThat(snapshots.get(i).createdAt()).isAfter(snapshots.get(i - 1).createdAt());
				assertThat(Duration.between(snapshots.get(i - 1).createdAt(), snapshots.get(i).createdAt()))
					.isGreaterThanOrEqualTo(Duration.ofMillis(350));
			}
		}
	}

	// ---- helpers -------------------------------------------------------------------------------------

	static DatabaseOptions options(Path db) {
		return DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1))
			.withCheckpointPageCounts(10, 40, 0);
	}

	private static void snapshot(Path root, String generation, long index, Instant createdAt) throws Exception {
		new FileReplicaClient(root).writeSnapshot(generation, index, new ByteArrayInputStream(new byte[] { 1 }));
		Files.setLastModifiedTime(root.resolve(ReplicaPaths.snapshotPath("", generation, index)),
				FileTime.from(createdAt));
	}

	private static void segment(Path root, String generation, long index, long offset, Instant createdAt)
			throws Exception {
		new FileReplicaClient(root).writeWalSegment(new Pos(generation, index, offset),
				new ByteArrayInputStream(new byte[] { 1 }));
		Files.setLastModifiedTime(root.resolve(ReplicaPaths.walSegmentPath("", generation, index, offset)),
				FileTime.from(createdAt));
	}

	/** Sums what retention deleted. */
	static final class CountingListener implements ReplicationListener {

		final AtomicInteger runs = new AtomicInteger();

		final AtomicInteger snapshots = new AtomicInteger();

		final AtomicInteger segments = new AtomicInteger();

		final AtomicInteger generations = new AtomicInteger();

		@Override
		public void onRetention(Replica replica, int snapshots, int segments, int generations) {
			this.runs.incrementAndGet();
			this.snapshots.addAndGet(snapshots);
			this.segments.addAndGet(segments);
			this.generations.addAndGet(generations);
		}

	}

}
