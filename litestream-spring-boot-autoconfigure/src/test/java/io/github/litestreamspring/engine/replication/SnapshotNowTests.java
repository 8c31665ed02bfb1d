package io.github.litestreamspring.engine.replication;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An on-demand snapshot ({@code POST /actuator/litestream/snapshot}) never replaces an existing
 * snapshot object: each is a point-in-time restore point, found by its index and timestamp.
 */
class SnapshotNowTests {

	@TempDir
	Path dir;

	@Test
	void snapshotNowKeepsEveryEarlierSnapshotObjectAndItsTimestamp() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(10))
			.withCheckpointPageCounts(100_000, 200_000, 0);
		Replica replica = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(50)),
				new FileReplicaClient(replicaDir));
		FileReplicaClient files = new FileReplicaClient(replicaDir);
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = new Replicator(options, List.of(replica))) {
			replicator.start();
			app.insertBatch(0, 50, 200);
			String generation = replicator.syncNow().generation();
			List<SnapshotInfo> before = files.snapshots(generation);
			assertThat(before).hasSize(1);
			Thread.sleep(50);

			// Written since the first snapshot, at the same WAL index.
			app.insertBatch(1, 50, 200);
			SnapshotInfo second = replicator.snapshotNow().get(0);
			assertThat(second.index()).isGreaterThan(before.get(0).index());
			assertThat(files.snapshots(generation)).containsAll(before).hasSize(2);
			Thread.sleep(50);

			// Nothing written since: still a new object, the earlier ones untouched.
			List<SnapshotInfo> beforeThird = files.snapshots(generation);
			SnapshotInfo third = replicator.snapshotNow().get(0);
			assertThat(third.index()).isGreaterThan(second.index());
			assertThat(files.snapshots(generation)).containsAll(beforeThird).hasSize(3);

			app.insertBatch(2, 50, 200);
			Pos local = replicator.syncNow();
			assertThat(replicator.status().replicas().get(0).position()).isEqualTo(local);
			Path restored = this.dir.resolve("restored.db");
			new Restorer(files).restore(RestoreOptions.latest(restored));
			assertThat(TestDatabase.rows(restored)).isEqualTo(app.rows());
		}
	}

}
