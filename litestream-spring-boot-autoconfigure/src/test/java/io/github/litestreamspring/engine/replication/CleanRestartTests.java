package io.github.litestreamspring.engine.replication;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.db.LocalState;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A graceful stop followed by a start on the same disk continues the same generation at the next WAL
 * index, without a new snapshot; anything that could have changed the file in between starts a new
 * generation instead.
 */
class CleanRestartTests {

	@TempDir
	Path dir;

	private Path db() {
		return this.dir.resolve("app.db");
	}

	private Path replicaDir() {
		return this.dir.resolve("replica");
	}

	private Replicator replicator() {
		DatabaseOptions options = DatabaseOptions.defaults(db()).withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1));
		Replica replica = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(50)),
				new FileReplicaClient(replicaDir()));
		return new Replicator(options, List.of(replica));
	}

	/** One run of the application: start, write, close the application's connection, stop. */
	private Pos run(int firstBatch, int batches) throws Exception {
		Replicator replicator = replicator();
		replicator.start();
		try (TestDatabase app = new TestDatabase(db())) {
			for (int batch = firstBatch; batch < firstBatch + batches; batch++) {
				app.insertBatch(batch, 20, 200);
			}
		}
		Pos pos = replicator.syncNow();
		replicator.stop();
		return pos;
	}

	private List<String> restoredRows() throws Exception {
		Path restored = this.dir.resolve("restored-" + System.nanoTime() + ".db");
		new Restorer(new FileReplicaClient(replicaDir())).restore(RestoreOptions.latest(restored));
		assertThat(TestDatabase.integrityCheck(restored)).isEqualTo("ok");
		return TestDatabase.rows(restored);
	}

	@Test
	void cleanStopsContinueTheGenerationAtTheNextIndexWithoutANewSnapshot() throws Exception {
		Pos first = run(0, 10);
		assertThat(db().resolveSibling("app.db-wal")).as("SQLite deletes the WAL when the last connection closes")
			.doesNotExist();
		Pos second = run(10, 10);
		Pos third = run(20, 10);

		assertThat(second.generation()).isEqualTo(first.generation());
		assertThat(third.generation()).isEqualTo(first.generation());
		assertThat(second.index()).isGreaterThan(first.index());
		assertThat(third.index()).isGreaterThan(second.index());
		FileReplicaClient replica = new FileReplicaClient(replicaDir());
		assertThat(replica.generations()).containsExactly(first.generation());
		assertThat(replica.snapshots(first.generation())).as("one snapshot, from the first start").hasSize(1);
		assertThat(replica.walSegments(first.generation()).stream().map(WalSegmentInfo::index).distinct())
			.contains(first.index(), second.index(), third.index());
		List<String> rows = TestDatabase.rows(db());
		assertThat(rows).hasSize(600);
		assertThat(restoredRows()).isEqualTo(rows);
	}

	@Test
	void writesMadeBeforeTheEngineStartsAreShippedInTheContinuedGeneration() throws Exception {
		Pos first = run(0, 5);
		// The application's pool opens and writes (a migration) before replication starts.
		try (TestDatabase app = new TestDatabase(db())) {
			app.insertBatch(100, 20, 200);
			Replicator replicator = replicator();
			replicator.start();
			app.insertBatch(101, 20, 200);
			Pos pos = replicator.syncNow();
			replicator.stop();
			assertThat(pos.generation()).isEqualTo(first.generation());
			assertThat(restoredRows()).isEqualTo(app.rows());
		}
	}

	@Test
	void aDatabaseChangedAfterTheCleanStopStartsANewGeneration() throws Exception {
		Pos first = run(0, 5);
		// Another process writes and checkpoints while the application is down.
		try (Connection other = TestDatabase.open(db()); Statement st = other.createStatement()) {
			st.execute("INSERT INTO t (batch, payload) VALUES (999, 'written while the application was down')");
		}
		Pos second = run(5, 5);
		assertThat(second.generation()).isNotEqualTo(first.generation());
		assertThat(restoredRows()).isEqualTo(TestDatabase.rows(db())).hasSize(201);
	}

	@Test
	void aStopWhileTheApplicationStillHasTheDatabaseOpenRecordsNoCleanStop() throws Exception {
		Pos first;
		try (TestDatabase app = new TestDatabase(db())) {
			Replicator replicator = replicator();
			replicator.start();
			app.insertBatch(0, 20, 200);
			first = replicator.syncNow();
			replicator.stop();
			// Committed after the engine stopped: only the application's own close checkpoints it.
			app.insertBatch(1, 20, 200);
		}
		assertThat(LocalState.defaultMetaDir(db()).resolve("clean-stop")).doesNotExist();
		Pos second = run(2, 1);
		assertThat(second.generation()).isNotEqualTo(first.generation());
		assertThat(restoredRows()).isEqualTo(TestDatabase.rows(db())).hasSize(60);
	}

	@Test
	void theCleanStopRecordIsConsumedAtStartUp() throws Exception {
		Pos first = run(0, 5);
		Path record = LocalState.defaultMetaDir(db()).resolve("clean-stop");
		assertThat(record).exists();
		Replicator replicator = replicator();
		replicator.start();
		try {
			assertThat(record).as("consumed at start-up: it may vouch for one start only").doesNotExist();
			assertThat(replicator.syncNow().generation()).isEqualTo(first.generation());
		}
		finally {
			replicator.stop();
		}
	}

}
