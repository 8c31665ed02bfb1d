package io.github.litestreamspring.engine.replication;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

class ReplicatorTests {

	@TempDir
	Path dir;

	private Replicator replicator(Path db, Path replicaDir, int minPages, int maxPages) {
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1))
			.withCheckpointPageCounts(minPages, maxPages, 0);
		Replica replica = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(50)),
				new FileReplicaClient(replicaDir));
		return new Replicator(options, List.of(replica));
	}

	@Test
	void replicatesAndRestoresTheSameRows() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = replicator(db, replicaDir, 1000, 10_000)) {
			replicator.start();
			for (int batch = 0; batch < 20; batch++) {
				app.insertBatch(batch, 50, 100);
			}
			Pos pos = replicator.syncNow();
			assertThat(replicator.status().replicas().get(0).position()).isEqualTo(pos);
			List<String> expected = app.rows();
			Path restored = this.dir.resolve("restored.db");
			RestoreResult result = new Restorer(new FileReplicaClient(replicaDir))
				.restore(RestoreOptions.latest(restored));
			assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
			assertThat(TestDatabase.rows(restored)).isEqualTo(expected);
			assertThat(TestDatabase.integrityCheck(restored)).isEqualTo("ok");
		}
	}

	@Test
	void checkpointsRestartTheWalIntoNewIndexesAndKeepItBounded() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = replicator(db, replicaDir, 20, 100)) {
			replicator.start();
			for (int batch = 0; batch < 200; batch++) {
				app.insertBatch(batch, 20, 200);
				if (batch % 10 == 0) {
					replicator.syncNow();
				}
			}
			Pos pos = replicator.syncNow();
			assertThat(pos.index()).as("WAL restarts").isGreaterThan(3);
			long walSize = Files.size(db.resolveSibling("app.db-wal"));
			assertThat(walSize).as("WAL size").isLessThan(2L * 1024 * 1024);
			List<String> expected = app.rows();
			Path restored = this.dir.resolve("restored.db");
			new Restorer(new FileReplicaClient(replicaDir)).restore(RestoreOptions.latest(restored));
			assertThat(TestDatabase.rows(restored)).isEqualTo(expected);
			assertThat(TestDatabase.integrityCheck(restored)).isEqualTo("ok");
		}
	}

}
