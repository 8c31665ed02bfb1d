package io.github.litestreamspring.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.StaleWal;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code restore} onto the path of a database whose {@code -wal} was left behind: the restored database
 * holds exactly the backup, never the leftover WAL's commits replayed onto it by SQLite.
 */
class CliRestoreOntoLeftoversTests {

	@TempDir
	Path dir;

	@Test
	void restoreOverALeftoverWalGivesExactlyTheBackup() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replica = this.dir.resolve("replica");
		List<String> backedUp = replicate(db, replica);
		StaleWal.deleteDatabaseButKeepAWalOfUnreplicatedCommits(db, 100, 5);

		CliRun run = CliRun.run("restore", "-o", db.toString(), "file://" + replica);

		assertThat(run.exitCode()).as(run.describe()).isZero();
		assertThat(TestDatabase.rows(db)).isEqualTo(backedUp);
		assertThat(TestDatabase.integrityCheck(db)).isEqualTo("ok");
	}

	@Test
	void forceReplacesAnExistingDatabaseAndDropsItsWal() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replica = this.dir.resolve("replica");
		List<String> backedUp = replicate(db, replica);
		StaleWal.deleteDatabaseButKeepAWalOfUnreplicatedCommits(db, 100, 5);
		Files.writeString(db, "the bad state the operator undoes");

		CliRun refused = CliRun.run("restore", "-o", db.toString(), "file://" + replica);
		CliRun forced = CliRun.run("restore", "--force", "-o", db.toString(), "file://" + replica);

		assertThat(refused.exitCode()).as(refused.describe()).isEqualTo(1);
		assertThat(refused.err()).contains("--force");
		assertThat(forced.exitCode()).as(forced.describe()).isZero();
		assertThat(TestDatabase.rows(db)).isEqualTo(backedUp);
		assertThat(TestDatabase.integrityCheck(db)).isEqualTo("ok");
	}

	@Test
	void forceAndIfDbNotExistsContradictEachOther() {
		CliRun run = CliRun.run("restore", "--force", "-if-db-not-exists", "-o", "/tmp/x.db", "file:///r");
		assertThat(run.exitCode()).as(run.describe()).isEqualTo(LitestreamCommand.USAGE);
	}

	private static List<String> replicate(Path db, Path replica) throws Exception {
		try (TestDatabase app = new TestDatabase(db);
				Replicator r = Replicated.replicator(db, new FileReplicaClient(replica))) {
			r.start();
			Replicated.write(app, r, 0, 20);
			return app.rows();
		}
	}

}
