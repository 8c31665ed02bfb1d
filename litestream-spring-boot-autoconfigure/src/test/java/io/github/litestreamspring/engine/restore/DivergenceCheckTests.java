package io.github.litestreamspring.engine.restore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.db.LocalHistory;
import io.github.litestreamspring.engine.db.LocalState;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The comparison between a local database's history and a replica's across generations: a newer
 * generation in the replica wins when every local commit was shipped, is a fork when some were not,
 * and a local generation that never reached the replica but began after its last write is the newer
 * side.
 */
class DivergenceCheckTests {

	@TempDir
	Path dir;

	private static Replicator replicator(Path db, Path replicaDir) {
		DatabaseOptions options = DatabaseOptions.defaults(db).withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1));
		return new Replicator(options, List.of(new Replica(ReplicaOptions.defaults("file")
			.withSyncInterval(Duration.ofMillis(50)), new FileReplicaClient(replicaDir))));
	}

	/** Writes a batch and stops cleanly (the application's connection closes first). */
	private static Pos run(Path db, Path replicaDir, int batch) throws Exception {
		Replicator replicator = replicator(db, replicaDir);
		replicator.start();
		try (TestDatabase app = new TestDatabase(db)) {
			app.insertBatch(batch, 10, 100);
		}
		Pos pos = replicator.syncNow();
		replicator.stop();
		return pos;
	}

	private DivergenceCheck.Result check(Path db, Path replicaDir) throws Exception {
		LocalHistory local = LocalHistory.read(db, LocalState.defaultMetaDir(db));
		return new DivergenceCheck(new FileReplicaClient(replicaDir)).check(local);
	}

	@Test
	void aNewerGenerationWrittenByAnotherInstanceWinsWhenEveryLocalCommitWasShipped() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replica = this.dir.resolve("replica");
		Pos mine = run(db, replica, 0);
		// Another instance restores the replica on its own disk and writes a generation of its own.
		Path other = this.dir.resolve("other").resolve("app.db");
		Files.createDirectories(other.getParent());
		new Restorer(new FileReplicaClient(replica)).restore(RestoreOptions.latest(other));
		Pos theirs = run(other, replica, 1);
		assertThat(theirs.generation()).isNotEqualTo(mine.generation());

		DivergenceCheck.Result result = check(db, replica);
		assertThat(result.verdict()).isEqualTo(DivergenceCheck.Verdict.LOCAL_BEHIND);
		assertThat(result.local()).isEqualTo(mine);
		assertThat(result.replica().generation()).isEqualTo(theirs.generation());
	}

	@Test
	void aNewerGenerationElsewhereIsAForkWhenLocalCommitsWereNeverShipped() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replica = this.dir.resolve("replica");
		run(db, replica, 0);
		Path other = this.dir.resolve("other").resolve("app.db");
		Files.createDirectories(other.getParent());
		new Restorer(new FileReplicaClient(replica)).restore(RestoreOptions.latest(other));
		run(other, replica, 1);
		// A commit on the first disk that never reached the replica (its WAL continues the shadow WAL).
		try (TestDatabase app = new TestDatabase(db)) {
			app.insertBatch(2, 10, 100);
			assertThat(check(db, replica).verdict()).isEqualTo(DivergenceCheck.Verdict.FORK);
		}
	}

	@Test
	void aLocalGenerationThatNeverReachedTheReplicaButBeganAfterItsLastWriteIsKept() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replica = this.dir.resolve("replica");
		run(db, replica, 0);
		// A new generation begins locally (its metadata is lost) and is shipped nowhere this replica sees,
		// as after a crash before a new generation's first snapshot.
		Thread.sleep(20);
		Files.delete(LocalState.defaultMetaDir(db).resolve("generation"));
		Pos local = run(db, this.dir.resolve("elsewhere"), 1);

		DivergenceCheck.Result result = check(db, replica);
		assertThat(result.verdict()).isEqualTo(DivergenceCheck.Verdict.LOCAL_CURRENT);
		assertThat(result.local()).isEqualTo(local);
	}

	@Test
	void aDatabaseWithoutReplicationHistoryIsReportedAsSuch() throws Exception {
		Path db = this.dir.resolve("app.db");
		try (TestDatabase app = new TestDatabase(db)) {
			app.insertBatch(0, 1, 10);
		}
		assertThat(check(db, this.dir.resolve("replica")).verdict()).isEqualTo(DivergenceCheck.Verdict.NO_LOCAL_HISTORY);
	}

}
