package io.github.litestreamspring.engine.db;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's checkpoint owns every WAL restart: between its back-fill and its restarting commit the
 * application's writers, which wait on the write lock, must not restart the WAL themselves (SQLite's
 * writer restarts a fully back-filled WAL when no reader holds a mark), or the engine would have to
 * prove a restart it did not make.
 */
class CheckpointerTests {

	@TempDir
	Path dir;

	@Test
	void applicationWritersNeverRestartTheWalBetweenTheCheckpointSteps() throws Exception {
		Path db = this.dir.resolve("app.db");
		try (TestDatabase app = new TestDatabase(db)) {
			app.insertBatch(0, 10, 100);
		}
		Database database = new Database(DatabaseOptions.defaults(db));
		database.open();
		AtomicBoolean stop = new AtomicBoolean();
		AtomicLong commits = new AtomicLong();
		Thread writer = new Thread(() -> {
			try (Connection c = TestDatabase.open(db);
					Statement pragma = c.createStatement();
					PreparedStatement insert = c.prepareStatement("INSERT INTO t (batch, payload) VALUES (1, 'x')")) {
				pragma.execute("PRAGMA synchronous = NORMAL"); // commits at memory speed: the lock is contended
				// Bounded in count and time: stops at 200,000 commits or when the test says so.
				for (int i = 0; i < 200_000 && !stop.get(); i++) {
					// BEGIN IMMEDIATE (sqlite-jdbc's transaction_mode=IMMEDIATE): each busy retry begins a
					// fresh read, so a writer that gets the lock right after a complete back-fill may restart
					// the WAL itself.
					pragma.execute("BEGIN IMMEDIATE");
					insert.executeUpdate();
					pragma.execute("COMMIT");
					commits.incrementAndGet();
				}
			}
			catch (Exception ex) {
				throw new IllegalStateException(ex);
			}
		}, "busy-writer");
		int engineRestarts = 0;
		Pos first;
		Pos last;
		try {
			first = database.sync(false).position();
			writer.start();
			for (int i = 0; i < 60 && writer.isAlive(); i++) {
				database.sync(false);
				if (database.checkpoint(CheckpointMode.RESTART)) {
					engineRestarts++;
				}
			}
			stop.set(true);
			writer.join(10_000);
			last = database.sync(false).position();
		}
		finally {
			stop.set(true);
			database.close();
		}
		assertThat(commits.get()).as("the writer was busy throughout").isGreaterThan(1000);
		assertThat(last.generation()).isEqualTo(first.generation());
		assertThat(engineRestarts).as("the engine restarted the WAL").isGreaterThan(5);
		assertThat(last.index() - first.index()).as("WAL restarts, all by the engine").isEqualTo(engineRestarts);
	}

}
