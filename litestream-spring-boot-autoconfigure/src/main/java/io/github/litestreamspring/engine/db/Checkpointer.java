package io.github.litestreamspring.engine.db;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Arrays;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.wal.WalHeader;

/**
 * The engine's checkpoints for one database (Litestream's {@code DB.checkpoint}): decides from the
 * thresholds whether one is due and of which mode, and runs it without letting a frame slip between
 * the last copy into the shadow WAL and the WAL restart. Called by {@link Database} under its lock;
 * brings the {@link ShadowWal} up to date and starts its next index when it restarted the WAL.
 */
final class Checkpointer {

	/** Under Database's name, as before this class was split from it: the log category is unchanged. */
	private static final Logger logger = LoggerFactory.getLogger(Database.class);

	/** Rounds of copy and back-fill a checkpoint does before taking the write lock, at most. */
	private static final int MAX_UNLOCKED_BACKFILLS = 3;

	/** A copy smaller than this ends those rounds: what is left for the write lock is small. */
	private static final long SMALL_TAIL_BYTES = 2L * 1024 * 1024;

	private final WalFile wal;

	private final DatabaseOptions options;

	private final LocalState state;

	private final DatabaseConnections connections;

	private final ShadowWal shadowWal;

	private final Supplier<DatabaseListener> listener;

	Checkpointer(WalFile wal, DatabaseOptions options, LocalState state, DatabaseConnections connections,
			ShadowWal shadowWal, Supplier<DatabaseListener> listener) {
		this.wal = wal;
		this.options = options;
		this.state = state;
		this.connections = connections;
		this.shadowWal = shadowWal;
		this.listener = listener;
	}

	/**
	 * The mode of the checkpoint due with the shadow WAL at {@code position}, the real WAL having been
	 * {@code walSizeBefore} bytes before the sync that got it there; {@code null} if none is due.
	 */
	CheckpointMode checkpointNeeded(long walSizeBefore, Pos position) throws IOException {
		long shadowSize = position.offset();
		int truncate = this.options.truncatePageCount();
		int max = this.options.maxCheckpointPageCount();
		if (truncate > 0 && walSizeBefore >= frames(truncate)) {
			return CheckpointMode.TRUNCATE;
		}
		if (max > 0 && shadowSize >= frames(max)) {
			return CheckpointMode.RESTART;
		}
		if (shadowSize >= frames(this.options.minCheckpointPageCount())) {
			return CheckpointMode.PASSIVE;
		}
		if (idleCheckpointPending(position)) {
			Instant modified = Files.getLastModifiedTime(this.wal.databasePath()).toInstant();
			if (modified.plus(this.options.checkpointInterval()).isBefore(Instant.now())
					&& walModifiedBefore(Instant.now().minus(this.options.checkpointInterval()))) {
				return CheckpointMode.PASSIVE;
			}
		}
		return null;
	}

	/**
	 * Whether the checkpoint of an idle database ({@code checkpointInterval}) is still to come at
	 * {@code position}: the WAL holds more than the single frame a restart leaves in it.
	 */
	boolean idleCheckpointPending(Pos position) {
		return !this.options.checkpointInterval().isZero() && position.offset() > frames(1);
	}

	private boolean walModifiedBefore(Instant instant) throws IOException {
		try {
			return Files.getLastModifiedTime(this.wal.walPath()).toInstant().isBefore(instant);
		}
		catch (NoSuchFileException ex) {
			return true;
		}
	}

	/**
	 * The engine's checkpoint. Unlike Litestream it never lets a frame slip between the last copy and
	 * the WAL restart:
	 * <ol>
	 * <li>take the write lock (application writers wait on their busy timeout) and copy every remaining
	 * committed frame. If nothing was committed since step 0 back-filled everything, this transaction
	 * began on a fully back-filled WAL: go straight to step 2 in it. Otherwise move the read lock to the
	 * WAL's end, back-fill with a PASSIVE checkpoint and roll back; the read lock stays, on a mark taken
	 * while frames waited to be back-filled, so no writer can restart the WAL until step 2;</li>
	 * <li>if everything was back-filled, take the write lock again, copy anything committed in between,
	 * release the read lock and commit a write to {@code _litestream_seq}: SQLite restarts the WAL for
	 * it (unless a writer appended between the steps; then the next checkpoint tries again);</li>
	 * <li>if the header changed, seal the index and start the next one from the new header. Nothing else
	 * can have written to the old WAL since step 2's copy.</li>
	 * </ol>
	 * Before step 1, without the write lock, the frames copied so far are back-filled: the read lock,
	 * refreshed to the WAL's end before the copy, stops that back-fill at a copied frame and keeps anyone
	 * from restarting the WAL meanwhile. So the write lock is held only for the copy and back-fill of what
	 * the application committed during that first back-fill, and writers are blocked briefly.
	 */
	boolean checkpoint(CheckpointMode mode) throws SQLException, IOException {
		try {
			return checkpointSteps(mode);
		}
		finally {
			// Whatever failed, the engine never goes on without the read lock: without it another
			// connection could restart the WAL past frames the shadow WAL has not copied.
			this.connections.acquireReadLock();
		}
	}

	private boolean checkpointSteps(CheckpointMode mode) throws SQLException, IOException {
		long started = System.nanoTime();
		boolean complete = false;
		for (int round = 0; round < MAX_UNLOCKED_BACKFILLS; round++) {
			this.connections.refreshReadLock();
			SyncResult copied = this.shadowWal.sync();
			// Durable before the back-fill: once everything is back-filled any writer may restart the WAL
			// (and step 2's fsync then has only a small tail to write).
			FileSync.fsync(this.state.shadowWal(copied.position().generation(), copied.position().index()));
			try (Statement st = this.connections.write().createStatement();
					ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
				rs.next();
				complete = rs.getInt(1) == 0 && rs.getInt(2) == rs.getInt(3);
			}
			if (complete || copied.bytesCopied() < SMALL_TAIL_BYTES) {
				break;
			}
			// A busy writer appended much while we copied and back-filled: another round without the lock
			// keeps what step 1 must do under it small.
		}
		if (mode == CheckpointMode.PASSIVE && !complete) {
			// As with Litestream, PASSIVE only back-fills; a busy writer's WAL restarts at the RESTART
			// threshold. So writers are blocked once per max-checkpoint-page-count pages, and a new index
			// (one more object per replica) begins as seldom. A complete back-fill goes on below: the
			// engine restarts the WAL itself rather than leave it to the next writer, unseen.
			return finishCheckpoint(mode, false, started);
		}
		boolean backfilledBefore = complete;
		if (!beginImmediate(mode)) {
			return false;
		}
		try {
			long copied = this.shadowWal.sync().bytesCopied();
			if (backfilledBefore && copied == 0) {
				// Nothing was committed since step 0 back-filled everything: this transaction began on a
				// fully back-filled WAL, so its own commit restarts it, with no gap for anyone else.
				return finishCheckpoint(mode, commitRestart(mode), started);
			}
			// The read lock moves to the WAL's end (nobody can append: we hold the write lock), where
			// frames wait to be back-filled, so its mark is one that stops any restart; it stays held
			// until step 2's commit, so a writer that gets the lock between the steps can only append.
			this.connections.refreshReadLock();
			// On the spare read connection: the write connection is inside BEGIN IMMEDIATE and the other
			// holds the read lock, and SQLite refuses to checkpoint from a connection with an open transaction.
			try (Statement st = this.connections.spare().createStatement();
					ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
				rs.next();
				complete = rs.getInt(1) == 0 && rs.getInt(2) == rs.getInt(3);
			}
		}
		finally {
			this.connections.rollback();
		}
		boolean restarted = false;
		if (complete && beginImmediate(mode)) {
			restarted = commitRestart(mode);
		}
		return finishCheckpoint(mode, restarted, started);
	}

	/** {@code BEGIN IMMEDIATE}; false if writers kept the lock for the whole busy timeout. */
	private boolean beginImmediate(CheckpointMode mode) throws SQLException {
		try {
			this.connections.beginImmediate();
			return true;
		}
		catch (SQLException ex) {
			if (!DatabaseConnections.isBusy(ex)) {
				throw ex;
			}
			// Writers (or another process's checkpoint) kept the lock for our whole busy timeout: the WAL
			// stays as it is and the next sync tries again. Not an error: nothing was lost or skipped.
			logger.debug("{}: {} checkpoint skipped, the database stayed locked", this.wal.databasePath(), mode);
			return false;
		}
	}

	/**
	 * Step 2 (and step 1 when it can): in the open write transaction, copies what is left, makes the
	 * shadow WAL durable, releases the read lock (a reader's mark stops a restart) and commits a write
	 * to {@code _litestream_seq}; SQLite restarts the WAL for it when the transaction began on a fully
	 * back-filled WAL. Then (step 3) seals the index and starts the next one. Re-takes the read lock.
	 * @return whether the commit restarted the WAL
	 */
	private boolean commitRestart(CheckpointMode mode) throws SQLException, IOException {
		byte[] headerBefore;
		try (Statement st = this.connections.write().createStatement()) {
			Pos pos = this.shadowWal.sync().position();
			Path shadow = this.state.shadowWal(pos.generation(), pos.index());
			// The commit below restarts the WAL: from then on the shadow is the only copy of its frames.
			FileSync.fsync(shadow);
			headerBefore = ShadowWal.readPrefix(shadow, WalHeader.SIZE);
			this.connections.releaseReadLock();
			st.execute("PRAGMA journal_size_limit = " + ((mode == CheckpointMode.TRUNCATE) ? 0 : -1));
			st.execute("INSERT INTO _litestream_seq (id, seq) VALUES (1, 1) "
					+ "ON CONFLICT (id) DO UPDATE SET seq = seq + 1");
			st.execute("COMMIT");
		}
		catch (SQLException | IOException | RuntimeException ex) {
			this.connections.rollback();
			throw ex;
		}
		finally {
			this.connections.acquireReadLock();
		}
		// Step 3 needs no lock: every frame of the old WAL was copied before our commit restarted it,
		// so only the new WAL's frames are left to copy (and the copier checks their salts).
		byte[] header = ShadowWal.readPrefix(this.wal.walPath(), WalHeader.SIZE);
		if (Arrays.equals(header, headerBefore)) {
			this.shadowWal.sync(); // the commit appended (a writer slipped in): copy it, no restart
			return false;
		}
		if (!WalVerifier.isSingleRestart(headerBefore, header)) {
			// Someone restarted the WAL again after our commit: the WAL life our commit began is gone
			// unseen. Let the verifier start a new generation.
			this.shadowWal.sync();
			return false;
		}
		this.shadowWal.startNextIndex();
		return true;
	}

	private boolean finishCheckpoint(CheckpointMode mode, boolean restarted, long started) {
		long nanos = System.nanoTime() - started;
		logger.debug("{}: {} checkpoint {} in {} ms, position {}", this.wal.databasePath(), mode,
				restarted ? "restarted the WAL" : "left the WAL in place", nanos / 1_000_000,
				this.shadowWal.position());
		this.listener.get().onCheckpoint(mode, restarted, nanos);
		return restarted;
	}

	private long frames(long n) {
		return this.wal.sizeOfFrames(n);
	}

}
