package io.github.litestreamspring.engine.db;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.Pos;

/**
 * Where a snapshot's bytes come from (Litestream's {@code DB.Snapshot} side of the local database):
 * the main database file at the current shadow index, staged as a local copy under the database lock.
 */
final class SnapshotStaging {

	/** Under Database's name, as before this class was split from it: the log category is unchanged. */
	private static final Logger logger = LoggerFactory.getLogger(Database.class);

	/** The local copy a snapshot is read from ({@code .tmp}: removed at start-up if a crash left it). */
	static final String STAGING_FILE = "snapshot.db.tmp";

	private final WalFile wal;

	private final LocalState state;

	private final DatabaseConnections connections;

	private final ShadowWal shadowWal;

	/** Database's lock: held while the copy is staged. */
	private final ReentrantLock lock;

	SnapshotStaging(WalFile wal, LocalState state, DatabaseConnections connections, ShadowWal shadowWal,
			ReentrantLock lock) {
		this.wal = wal;
		this.state = state;
		this.connections = connections;
		this.shadowWal = shadowWal;
		this.lock = lock;
	}

	/**
	 * Streams the main database file for a snapshot at the current shadow index. A PASSIVE checkpoint
	 * first moves what it can into the file; the read lock held meanwhile keeps anyone from restarting
	 * the WAL, so snapshot(N) + every frame of index N from its start reproduces the database. The file
	 * holds no frame beyond the position passed to {@code body}.
	 * <p>
	 * The file is first copied to {@value #STAGING_FILE} in the metadata directory under the
	 * database lock (a local copy at disk speed), and {@code body} then reads that copy with the lock
	 * released: shadow WAL syncs and checkpoints go on while a snapshot is compressed and uploaded, so
	 * the WAL stays small under a busy writer. Only when the metadata directory's file system lacks the
	 * room for the copy does {@code body} read the database file itself, with the lock held throughout.
	 */
	<T> T withSnapshot(Database.SnapshotBody<T> body) throws IOException {
		Pos pos;
		Path staged = this.state.metaDir().resolve(STAGING_FILE);
		this.lock.lock();
		try {
			this.wal.ensureWalExists();
			// Refresh the read mark to the WAL's end, then copy: the shadow WAL now holds every frame
			// the back-fill below can put into the database file.
			this.connections.refreshReadLock();
			pos = this.shadowWal.sync().position();
			try (Statement st = this.connections.write().createStatement()) {
				// Back-fills only up to our read mark, and nobody can restart the WAL meanwhile.
				st.execute("PRAGMA wal_checkpoint(PASSIVE)");
			}
			if (!DatabaseFiles.copyIfRoom(this.wal.databasePath(), staged)) {
				logger.info("{}: not enough free space beside the shadow WAL to stage a snapshot; the database "
						+ "stays locked for replication while the snapshot uploads", this.wal.databasePath());
				try (InputStream in = DatabaseFiles.newInputStream(this.wal.databasePath())) {
					return body.write(pos, in);
				}
			}
		}
		catch (SQLException ex) {
			throw new IOException("cannot prepare snapshot of " + this.wal.databasePath() + ": " + ex.getMessage(), ex);
		}
		finally {
			this.lock.unlock();
		}
		try (InputStream in = Files.newInputStream(staged)) {
			return body.write(pos, in);
		}
		finally {
			Files.deleteIfExists(staged);
		}
	}

}
