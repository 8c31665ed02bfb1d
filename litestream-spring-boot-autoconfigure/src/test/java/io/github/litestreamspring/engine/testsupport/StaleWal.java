package io.github.litestreamspring.engine.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Statement;
import java.util.List;

/**
 * The state an operator leaves who deletes {@code app.db} to force a restore but not {@code app.db-wal}:
 * a WAL holding committed transactions that were never replicated, beside a missing database. Opened
 * next to a restored copy of the same database, SQLite's WAL recovery replays those commits onto it.
 */
public final class StaleWal {

	private StaleWal() {
	}

	/**
	 * Writes {@code batches} batches of 10 rows (from batch {@code firstBatch}) to {@code db} — which
	 * nothing replicates any more — keeps copies of its {@code -wal} and {@code -shm} taken while the
	 * connection is open, closes and deletes the database, and puts the copies back in place.
	 * @return the rows SQLite shows when it replays that WAL onto the database as it was before
	 */
	public static List<String> deleteDatabaseButKeepAWalOfUnreplicatedCommits(Path db, int firstBatch, int batches)
			throws Exception {
		Path wal = db.resolveSibling(db.getFileName() + "-wal");
		Path shm = db.resolveSibling(db.getFileName() + "-shm");
		Path walCopy = db.resolveSibling("stale-wal.copy");
		Path shmCopy = db.resolveSibling("stale-shm.copy");
		List<String> rows;
		try (TestDatabase app = new TestDatabase(db)) {
			try (Statement st = app.connection().createStatement()) {
				// Everything replicated so far into the database file: the WAL holds only what follows.
				st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
			}
			for (int batch = firstBatch; batch < firstBatch + batches; batch++) {
				app.insertBatch(batch, 10, 300);
			}
			rows = app.rows();
			Files.copy(wal, walCopy);
			Files.copy(shm, shmCopy);
		}
		for (Path file : List.of(db, wal, shm)) {
			Files.deleteIfExists(file);
		}
		Files.move(walCopy, wal, StandardCopyOption.ATOMIC_MOVE);
		Files.move(shmCopy, shm, StandardCopyOption.ATOMIC_MOVE);
		return rows;
	}

}
