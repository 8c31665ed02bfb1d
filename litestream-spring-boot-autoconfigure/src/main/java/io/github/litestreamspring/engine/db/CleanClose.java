package io.github.litestreamspring.engine.db;

import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.BusyHandler;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaPaths;

/**
 * Closes the engine's connections so that the next start can continue the generation (see
 * {@link CleanStop}). Called by {@link Database#close()} under its lock.
 * <ol>
 * <li>Copy what is committed into the shadow WAL while the read lock still pins the WAL.</li>
 * <li>Close the read connections and take the database for the write connection alone: in exclusive
 * locking mode, {@code BEGIN IMMEDIATE} plus a read takes SQLite's EXCLUSIVE file lock, which fails at
 * once while any other connection (the application's pool, another process) has the file open, and
 * which no connection can get past until this one closes.</li>
 * <li>Copy again (a commit may have slipped in between the two steps), fsync the shadow WAL.</li>
 * <li>Close: as the last connection, SQLite checkpoints every frame into the file and deletes the
 * {@code -wal}. The file now holds exactly the shadow WAL's end; the clean-stop record says so.</li>
 * </ol>
 * When another connection is still open, nothing is recorded: it checkpoints the WAL when it closes,
 * perhaps with commits the shadow WAL never saw, and the next start then begins a new generation as
 * before. A WAL that survives the close (the checkpoint could not finish) needs no record either: its
 * header still matches the shadow WAL's, which is what a start after a crash relies on.
 */
final class CleanClose {

	private static final Logger logger = LoggerFactory.getLogger(Database.class);

	/** How long the exclusive lock may wait for a connection that is closing right now. */
	private static final int EXCLUSIVE_WAIT_MILLIS = 200;

	private final WalFile wal;

	private final DatabaseConnections connections;

	private final ShadowWal shadowWal;

	private final LocalState state;

	CleanClose(WalFile wal, DatabaseConnections connections, ShadowWal shadowWal, LocalState state) {
		this.wal = wal;
		this.connections = connections;
		this.shadowWal = shadowWal;
		this.state = state;
	}

	/** Closes every connection; records a clean stop when the engine's connection was the last. */
	void close() {
		try {
			closeAsLastConnection();
		}
		catch (SQLException | IOException | RuntimeException ex) {
			logger.warn("{}: the stop is not recorded as clean, the next start begins a new generation: {}",
					this.wal.databasePath(), ex.getMessage());
		}
		finally {
			this.connections.closeQuietly();
		}
	}

	private void closeAsLastConnection() throws SQLException, IOException {
		if (this.shadowWal.position().isNone()) {
			return; // never synced: no generation to continue
		}
		this.shadowWal.sync();
		this.connections.closeReaders();
		Connection write = this.connections.write();
		try (Statement st = write.createStatement()) {
			BusyHandler.clearHandler(write);
			st.execute("PRAGMA busy_timeout = " + EXCLUSIVE_WAIT_MILLIS);
			st.execute("PRAGMA locking_mode = EXCLUSIVE");
			try {
				st.execute("BEGIN IMMEDIATE");
				DatabaseConnections.queryString(st, "SELECT COUNT(1) FROM _litestream_seq");
			}
			catch (SQLException ex) {
				if (!DatabaseConnections.isBusy(ex)) {
					throw ex;
				}
				this.connections.rollback();
				logger.info("{}: other connections still have the database open at stop; the next start "
						+ "continues generation {} only if the WAL is still there", this.wal.databasePath(),
						this.shadowWal.position().generation());
				return;
			}
			SyncResult last = this.shadowWal.sync();
			if (last.newGeneration()) {
				this.connections.rollback();
				return;
			}
			Pos pos = last.position();
			FileSync.fsync(this.state.shadowWal(pos.generation(), pos.index()));
			st.execute("ROLLBACK"); // the exclusive lock stays until the connection closes
		}
		Pos stoppedAt = this.shadowWal.position();
		this.connections.closeQuietly();
		if (Files.exists(this.wal.walPath())) {
			logger.debug("{}: the WAL outlived the close; the next start continues from its header", this.wal.databasePath());
			return;
		}
		new CleanStop(stoppedAt, CleanStop.FileIdentity.of(this.wal.databasePath())).write(this.state.metaDir());
		logger.info("{}: clean stop at {}; the next start continues generation {} with WAL index {}",
				this.wal.databasePath(), stoppedAt, stoppedAt.generation(), ReplicaPaths.formatIndex(stoppedAt.index() + 1));
	}

}
