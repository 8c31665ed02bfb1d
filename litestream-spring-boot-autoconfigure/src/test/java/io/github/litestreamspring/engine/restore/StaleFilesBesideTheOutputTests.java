package io.github.litestreamspring.engine.restore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.StaleWal;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A restore to a path where {@code -wal}, {@code -shm} or {@code -journal} of an earlier database are
 * left: SQLite would replay them onto the restored database the first time it is opened, so the restore
 * removes them before the restored file takes the output's name.
 */
class StaleFilesBesideTheOutputTests {

	@TempDir
	Path dir;

	@Test
	void aLeftoverWalOfTheDeletedDatabaseIsRemovedInsteadOfReplayedOntoTheRestoredOne() throws Exception {
		Path db = this.dir.resolve("data").resolve("app.db");
		Path replica = this.dir.resolve("replica");
		List<String> backedUp = replicate(db, replica);
		List<String> withUnreplicated = StaleWal.deleteDatabaseButKeepAWalOfUnreplicatedCommits(db, 100, 5);
		assertThat(withUnreplicated).hasSize(backedUp.size() + 50);
		Files.writeString(db.resolveSibling("app.db-journal"), "journal of the database that was deleted");

		RestoreResult result = new Restorer(new FileReplicaClient(replica)).restore(RestoreOptions.latest(db));

		assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
		assertThat(TestDatabase.rows(db)).as("rows of the backup, none of the leftover WAL").isEqualTo(backedUp);
		assertThat(TestDatabase.integrityCheck(db)).isEqualTo("ok");
		assertThat(db.resolveSibling("app.db-journal")).doesNotExist();
	}

	@Test
	void overwritingAnExistingDatabaseDropsItsWalWithIt() throws Exception {
		Path db = this.dir.resolve("data").resolve("app.db");
		Path replica = this.dir.resolve("replica");
		List<String> backedUp = replicate(db, replica);
		StaleWal.deleteDatabaseButKeepAWalOfUnreplicatedCommits(db, 100, 5);
		Files.writeString(db, "a damaged database the operator replaces");

		new Restorer(new FileReplicaClient(replica)).restore(RestoreOptions.latest(db).withOverwrite(true));

		assertThat(TestDatabase.rows(db)).isEqualTo(backedUp);
		assertThat(TestDatabase.integrityCheck(db)).isEqualTo("ok");
	}

	@Test
	void nothingOfTheTemporaryDatabaseIsLeftBesideTheOutput() throws Exception {
		Path replica = this.dir.resolve("replica");
		replicate(this.dir.resolve("data").resolve("app.db"), replica);
		Path out = this.dir.resolve("restored").resolve("app.db");

		new Restorer(new FileReplicaClient(replica)).restore(RestoreOptions.latest(out));

		try (Stream<Path> files = Files.list(out.getParent())) {
			assertThat(files.map((p) -> p.getFileName().toString())).containsExactly("app.db");
		}
	}

	/** Replicates 20 batches of 10 rows (several WAL indexes) and stops; returns the rows. */
	private static List<String> replicate(Path db, Path replica) throws Exception {
		Files.createDirectories(db.getParent());
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1))
			.withCheckpointPageCounts(30, 120, 0);
		Replica target = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(50)),
				new FileReplicaClient(replica));
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = new Replicator(options, List.of(target))) {
			replicator.start();
			for (int batch = 0; batch < 20; batch++) {
				app.insertBatch(batch, 10, 300);
				if (batch % 5 == 4) {
					replicator.syncNow();
				}
			}
			replicator.syncNow();
			return app.rows();
		}
	}

}
