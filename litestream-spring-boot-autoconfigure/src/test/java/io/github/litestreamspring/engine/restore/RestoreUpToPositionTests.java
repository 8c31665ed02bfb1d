package io.github.litestreamspring.engine.restore;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.CheckpointMode;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** Restoring the exact state at a position: segments starting before it, none after, across indexes. */
class RestoreUpToPositionTests {

	@TempDir
	Path dir;

	@Test
	void restoresExactlyTheStateAtEachPosition() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		DatabaseOptions options = DatabaseOptions.defaults(db).withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1));
		Replica replica = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ZERO),
				new FileReplicaClient(replicaDir));
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = new Replicator(options, List.of(replica))) {
			replicator.start();
			app.insertBatch(0, 10, 100);
			Pos first = replicator.syncNow();
			List<String> atFirst = app.rows();
			app.insertBatch(1, 10, 100);
			Pos second = replicator.syncNow();
			List<String> atSecond = app.rows();
			assertThat(replicator.callOnReplicationThread(
					() -> replicator.database().checkpoint(CheckpointMode.RESTART))).isTrue();
			app.insertBatch(2, 10, 100);
			Pos third = replicator.syncNow();
			assertThat(third.index()).isEqualTo(second.index() + 1);

			Restorer restorer = new Restorer(new FileReplicaClient(replicaDir));
			assertThat(restoredRows(restorer, first, "first.db")).isEqualTo(atFirst);
			assertThat(restoredRows(restorer, second, "second.db")).isEqualTo(atSecond);
			assertThat(restoredRows(restorer, third, "third.db")).isEqualTo(app.rows());
		}
	}

	@Test
	void positionExcludesATimestampAndAnotherIndex() {
		Pos pos = new Pos("0123456789abcdef", 2, 4152);
		RestoreOptions options = RestoreOptions.latest(this.dir.resolve("x.db")).upTo(pos);
		assertThat(options.generation()).isEqualTo(pos.generation());
		assertThat(options.index()).isEqualTo(2);
		assertThat(options.asOf(Instant.now()).upToPosition()).isNull();
		assertThatIllegalArgumentException().isThrownBy(() -> new RestoreOptions(this.dir.resolve("x.db"),
				pos.generation(), 3, null, 0, false, false, false, pos));
	}

	private List<String> restoredRows(Restorer restorer, Pos pos, String name) throws Exception {
		Path out = this.dir.resolve(name);
		restorer.restore(RestoreOptions.latest(out).upTo(pos));
		return TestDatabase.rows(out);
	}

}
