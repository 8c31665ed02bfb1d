package io.github.litestreamspring.engine.db;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.Pos;

/**
 * The local side of replication for one SQLite database (Litestream's {@code DB}): keeps the shadow
 * WAL in step with the real {@code -wal} ({@link ShadowWal}), decides when continuity is lost, and owns
 * checkpoints ({@link Checkpointer}).
 *
 * <h2>Invariants</h2>
 * <ul>
 * <li>A read transaction on {@code _litestream_seq} exists at all times except inside the locked step
 * of a checkpoint; it is held by one of two connections and handed between them
 * ({@link DatabaseConnections}). While it is held nobody can restart or truncate the WAL, so frames
 * the shadow WAL has not copied yet cannot disappear.</li>
 * <li>The shadow WAL only ever grows by checksum-valid, committed frames ({@link ShadowWalCopier}).</li>
 * <li>Whenever continuity with what was already copied cannot be proven ({@link WalVerifier}), a new
 * generation starts; a replica never gets a hole.</li>
 * <li>A shadow index is sealed (the next one created) only when every frame of its WAL life is in it:
 * either proven by the verifier (old frames still physically present) or because the engine's own
 * checkpoint restarted the WAL while holding the write lock.</li>
 * </ul>
 * Public methods that change anything are serialized by one (fair) lock; the replication thread and
 * the database monitor thread call them. Reads of the position and of shadow WAL sizes and paths, and
 * {@link #checkpointDue()}, take no lock: the position is a volatile snapshot, and a replica reads the
 * shadow WAL only up to it.
 */
public final class Database implements Closeable {

	private static final Logger logger = LoggerFactory.getLogger(Database.class);

	/** The WAL-reset bug is a property of the driver, so it is reported once per JVM, not per database. */
	private static final AtomicBoolean walResetBugReported = new AtomicBoolean();

	private final DatabaseOptions options;

	private final LocalState state;

	/** Fair, so that the replication thread's uploads are not starved by back-to-back local passes. */
	private final ReentrantLock lock = new ReentrantLock(true);

	private final DatabaseConnections connections;

	/** The only writer of the local position (always under the lock); Database just reads it. */
	private final ShadowWal shadowWal;

	private final Checkpointer checkpointer;

	private final SnapshotStaging snapshots;

	/** The real WAL: paths, page size (read at {@link #open()}), and the write that gives it a header. */
	private final WalFile wal;

	private volatile DatabaseListener listener = DatabaseListener.NONE;

	/** The exclusive lock on the local state, held from {@link #open()} to {@link #close()}. */
	private LocalStateLock stateLock;

	public Database(DatabaseOptions options) {
		this.options = options;
		this.state = new LocalState(options.metaPath());
		this.connections = new DatabaseConnections(options);
		this.wal = new WalFile(options.path(), options.walPath(), this.connections);
		this.shadowWal = new ShadowWal(this.wal, this.state, this::listener);
		this.checkpointer = new Checkpointer(this.wal, options, this.state, this.connections, this.shadowWal,
				this::listener);
		this.snapshots = new SnapshotStaging(this.wal, this.state, this.connections, this.shadowWal, this.lock);
	}

	public DatabaseOptions options() {
		return this.options;
	}

	public LocalState localState() {
		return this.state;
	}

	public Path path() {
		return this.options.path();
	}

	public int pageSize() {
		return this.wal.pageSize();
	}

	private DatabaseListener listener() {
		return this.listener;
	}

	public void setListener(DatabaseListener listener) {
		this.listener = (listener != null) ? listener : DatabaseListener.NONE;
	}

	/** The local position: generation, highest shadow index and its size. {@link Pos#NONE} before the first sync. */
	public Pos position() {
		return this.shadowWal.position();
	}

	/**
	 * Opens the engine's connections, puts the database in WAL mode, creates Litestream's two helper
	 * tables, takes the read lock and checks whether the recorded generation can be continued.
	 */
	public void open() {
		this.lock.lock();
		try {
			this.stateLock = this.state.lock(path());
			this.connections.open();
			try (Statement st = this.connections.write().createStatement()) {
				String mode = DatabaseConnections.queryString(st, "PRAGMA journal_mode = wal");
				if (!"wal".equalsIgnoreCase(mode)) {
					throw new LitestreamException("cannot put " + path() + " in WAL mode (journal_mode is " + mode
							+ "); is another process holding it in rollback-journal mode?");
				}
				st.execute("CREATE TABLE IF NOT EXISTS _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)");
				st.execute("CREATE TABLE IF NOT EXISTS _litestream_lock (id INTEGER)");
				this.wal.setPageSize(Integer.parseInt(DatabaseConnections.queryString(st, "PRAGMA page_size")));
			}
			warnOfWalResetBug(SqliteVersion.of(this.connections.write()));
			Files.createDirectories(this.state.metaDir());
			this.state.deleteTempFiles();
			this.connections.acquireReadLock();
			this.shadowWal.checkGenerationOnOpen();
		}
		catch (SQLException | IOException ex) {
			this.connections.closeQuietly();
			releaseStateLock();
			throw new LitestreamException("cannot open database " + path() + " for replication: " + ex.getMessage(), ex);
		}
		catch (RuntimeException ex) {
			// Not in WAL mode, or a generation check failed: the connections must not outlive the failure.
			this.connections.closeQuietly();
			releaseStateLock();
			throw ex;
		}
		finally {
			this.lock.unlock();
		}
	}

	private void warnOfWalResetBug(SqliteVersion version) {
		if (version.hasWalResetBug() && walResetBugReported.compareAndSet(false, true)) {
			logger.warn("Database {}: SQLite {} (the sqlite-jdbc driver on the class path) can corrupt the database when "
					+ "the engine's checkpoint resets the WAL next to the application's writers "
					+ "(https://sqlite.org/wal.html#walresetbug); use a sqlite-jdbc built on SQLite {} or later", path(), version,
					SqliteVersion.WAL_RESET_BUG_FIXED);
		}
	}

	/**
	 * Copies newly committed WAL frames into the shadow WAL, starting a new generation or shadow index
	 * when needed, then runs a checkpoint if a threshold is reached.
	 * @return what happened
	 */
	public SyncResult sync() {
		return sync(true);
	}

	/**
	 * Copies newly committed WAL frames into the shadow WAL, starting a new generation or shadow index
	 * when needed, and runs a checkpoint if {@code checkpoint} and a threshold is reached.
	 * @return what happened
	 */
	public SyncResult sync(boolean checkpoint) {
		this.lock.lock();
		return syncLocked(checkpoint);
	}

	/**
	 * {@link #sync(boolean) sync(false)} if nobody else is using the database right now (the monitor
	 * thread's checkpoint, a snapshot being staged); {@code null} without waiting otherwise.
	 */
	public SyncResult trySync() {
		if (!this.lock.tryLock()) {
			return null;
		}
		return syncLocked(false);
	}

	/**
	 * Whether a checkpoint threshold is reached, judged without the lock from the file sizes and the
	 * last known position (the checkpoint itself decides again under the lock).
	 */
	public boolean checkpointDue() {
		Pos pos = this.shadowWal.position();
		if (pos.isNone()) {
			return false;
		}
		try {
			return this.checkpointer.checkpointNeeded(this.wal.alignedSize(), pos) != null;
		}
		catch (IOException ex) {
			return true; // let the checkpoint, under the lock, report what is wrong
		}
	}

	/**
	 * Whether the checkpoint of an idle database is still to come: it restarts the WAL, so the position
	 * will move once more without a write from the application ({@code checkpointInterval} after the
	 * last change).
	 */
	public boolean idleCheckpointPending() {
		Pos pos = this.shadowWal.position();
		return !pos.isNone() && this.checkpointer.idleCheckpointPending(pos);
	}

	/** Called with the lock held; releases it. */
	private SyncResult syncLocked(boolean checkpoint) {
		try {
			long started = System.nanoTime();
			this.wal.ensureWalExists();
			long walSizeBefore = this.wal.alignedSize();
			SyncResult result = this.shadowWal.sync();
			CheckpointMode mode = checkpoint ? this.checkpointer.checkpointNeeded(walSizeBefore, result.position())
					: null;
			if (mode != null) {
				boolean restarted = this.checkpointer.checkpoint(mode);
				result = result.withCheckpoint(this.shadowWal.position(), mode, restarted);
			}
			this.listener.onSync(result, System.nanoTime() - started);
			return result;
		}
		catch (SQLException | IOException ex) {
			this.listener.onSyncError(ex);
			throw new LitestreamException("cannot sync " + path() + " to its shadow WAL: " + ex.getMessage(), ex);
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Runs a checkpoint if a threshold is reached at the current position (which the checkpoint brings
	 * up to date first); costs two file-size reads when none is. Reported to the listener as a
	 * checkpoint only, not as a sync.
	 * @return what happened, or {@code null} if no checkpoint was due
	 */
	public SyncResult checkpointIfDue() {
		this.lock.lock();
		try {
			Pos pos = this.shadowWal.position();
			if (pos.isNone()) {
				return null;
			}
			CheckpointMode mode = this.checkpointer.checkpointNeeded(this.wal.alignedSize(), pos);
			if (mode == null) {
				return null;
			}
			boolean restarted = this.checkpointer.checkpoint(mode);
			return new SyncResult(this.shadowWal.position(), 0, false, false, mode, restarted);
		}
		catch (SQLException | IOException ex) {
			this.listener.onSyncError(ex);
			throw new LitestreamException("cannot checkpoint " + path() + ": " + ex.getMessage(), ex);
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Runs a checkpoint of the given mode now.
	 * @return whether the WAL was fully checkpointed and restarted (a new shadow index began)
	 */
	public boolean checkpoint(CheckpointMode mode) {
		this.lock.lock();
		try {
			return this.checkpointer.checkpoint(mode);
		}
		catch (SQLException | IOException ex) {
			throw new LitestreamException("cannot checkpoint " + path() + " (" + mode + "): " + ex.getMessage(), ex);
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Streams the main database file for a snapshot at the current shadow index, from a local copy
	 * staged under the lock ({@link SnapshotStaging}); {@code body} gets the position the file holds.
	 */
	public <T> T withSnapshot(SnapshotBody<T> body) throws IOException {
		return this.snapshots.withSnapshot(body);
	}

	/** Forgets the current generation so that the next sync starts a new one. */
	public void resetGeneration(String reason) {
		this.lock.lock();
		try {
			logger.warn("{}: starting over with a new generation: {}", path(), reason);
			this.shadowWal.clearGeneration();
		}
		catch (IOException ex) {
			throw new LitestreamException("cannot reset generation of " + path() + ": " + ex.getMessage(), ex);
		}
		finally {
			this.lock.unlock();
		}
	}

	/** Deletes shadow WAL files that every replica has passed (keeps one index before the slowest). */
	public void pruneShadowWal(long lowestReplicaIndex) {
		this.lock.lock();
		try {
			this.shadowWal.prune(lowestReplicaIndex);
		}
		catch (IOException ex) {
			logger.warn("{}: cannot prune shadow WAL: {}", path(), ex.getMessage());
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Keeps the current generation's shadow WAL within {@code maxBytes}: deletes its oldest files while
	 * the total exceeds the bound, never the current index. A replica that still needed a deleted index
	 * continues from a new snapshot (Litestream instead lets the directory grow without limit, #412).
	 * @return the lowest index left on disk if anything was deleted, otherwise -1
	 */
	public long boundShadowWal(long maxBytes) {
		this.lock.lock();
		try {
			return this.shadowWal.bound(maxBytes);
		}
		catch (IOException ex) {
			logger.warn("{}: cannot bound shadow WAL: {}", path(), ex.getMessage());
			return -1;
		}
		finally {
			this.lock.unlock();
		}
	}

	/** Size of the shadow WAL file of {@code index} in the current generation, -1 if it does not exist. */
	public long shadowWalSize(String generation, long index) throws IOException {
		return this.shadowWal.size(generation, index);
	}

	public Path shadowWalPath(String generation, long index) {
		return this.state.shadowWal(generation, index);
	}

	/**
	 * The bytes of shadow WAL index {@code start.index()} from {@code start.offset()} up to {@code stop},
	 * read frame by frame ({@link ShadowWalReader}); read only up to the local position.
	 */
	public InputStream readShadowWal(Pos start, long stop) throws IOException {
		return new ShadowWalReader(shadowWalPath(start.generation(), start.index()), start, stop, pageSize());
	}

	/**
	 * Closes the engine's connections. When they are the last ones open, SQLite checkpoints the WAL into
	 * the file and deletes it on close; a clean-stop record then lets the next start continue the
	 * generation ({@link CleanClose}). Close the application's connections first to get that.
	 */
	@Override
	public void close() {
		this.lock.lock();
		try {
			if (this.connections.isOpen()) {
				new CleanClose(this.wal, this.connections, this.shadowWal, this.state).close();
			}
			releaseStateLock();
		}
		finally {
			this.lock.unlock();
		}
	}

	/** Lets another replicator take the local state (see {@link LocalStateLock}). */
	private void releaseStateLock() {
		LocalStateLock held = this.stateLock;
		this.stateLock = null;
		if (held != null) {
			held.close();
		}
	}

	/** Receives a stream of the main database file for a snapshot at a position. */
	@FunctionalInterface
	public interface SnapshotBody<T> {

		T write(Pos position, InputStream databaseFile) throws IOException;

	}

}
