package io.github.litestreamspring.engine.db;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replica.Pos;
import io.github.litestreamspring.engine.replica.ReplicaPaths;
import io.github.litestreamspring.engine.wal.WalFiles;
import io.github.litestreamspring.engine.wal.WalHeader;

/**
 * The local side of replication for one SQLite database (Litestream's {@code DB}): keeps the shadow
 * WAL in step with the real {@code -wal}, decides when continuity is lost, and owns checkpoints.
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
 * All public methods are serialized by one (fair) lock; the replication thread and the database
 * monitor thread call them.
 */
public final class Database implements Closeable {

	private static final Logger logger = LoggerFactory.getLogger(Database.class);

	private static final SecureRandom RANDOM = new SecureRandom();

	/** The local copy a snapshot is read from ({@code .tmp}: removed at start-up if a crash left it). */
	static final String SNAPSHOT_STAGING_FILE = "snapshot.db.tmp";

	private final DatabaseOptions options;

	private final LocalState state;

	/** Fair, so that the replication thread's uploads are not starved by back-to-back local passes. */
	private final ReentrantLock lock = new ReentrantLock(true);

	private final DatabaseConnections connections;

	private final Checkpointer checkpointer;

	private int pageSize;

	private volatile Pos position = Pos.NONE;

	private volatile DatabaseListener listener = DatabaseListener.NONE;

	public Database(DatabaseOptions options) {
		this.options = options;
		this.state = new LocalState(options.metaPath());
		this.connections = new DatabaseConnections(options);
		this.checkpointer = new Checkpointer(this, options, this.state, this.connections);
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
		return this.pageSize;
	}

	DatabaseListener listener() {
		return this.listener;
	}

	public void setListener(DatabaseListener listener) {
		this.listener = (listener != null) ? listener : DatabaseListener.NONE;
	}

	/** The local position: generation, highest shadow index and its size. {@link Pos#NONE} before the first sync. */
	public Pos position() {
		return this.position;
	}

	/**
	 * Opens the engine's connections, puts the database in WAL mode, creates Litestream's two helper
	 * tables, takes the read lock and checks whether the recorded generation can be continued.
	 */
	public void open() {
		this.lock.lock();
		try {
			this.connections.open();
			try (Statement st = this.connections.write().createStatement()) {
				String mode = DatabaseConnections.queryString(st, "PRAGMA journal_mode = wal");
				if (!"wal".equalsIgnoreCase(mode)) {
					throw new LitestreamException("cannot put " + path() + " in WAL mode (journal_mode is " + mode
							+ "); is another process holding it in rollback-journal mode?");
				}
				st.execute("CREATE TABLE IF NOT EXISTS _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)");
				st.execute("CREATE TABLE IF NOT EXISTS _litestream_lock (id INTEGER)");
				this.pageSize = Integer.parseInt(DatabaseConnections.queryString(st, "PRAGMA page_size"));
			}
			Files.createDirectories(this.state.metaDir());
			this.state.deleteTempFiles();
			this.connections.acquireReadLock();
			checkGenerationOnOpen();
		}
		catch (SQLException | IOException ex) {
			this.connections.closeQuietly();
			throw new LitestreamException("cannot open database " + path() + " for replication: " + ex.getMessage(), ex);
		}
		catch (RuntimeException ex) {
			// Not in WAL mode, or a generation check failed: the connections must not outlive the failure.
			this.connections.closeQuietly();
			throw ex;
		}
		finally {
			this.lock.unlock();
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
		Pos pos = this.position;
		if (pos.isNone()) {
			return false;
		}
		try {
			return this.checkpointer.checkpointNeeded(walSize(), new SyncResult(pos, 0, false, false, null, false)) != null;
		}
		catch (IOException ex) {
			return true; // let the checkpoint, under the lock, report what is wrong
		}
	}

	/** Called with the lock held; releases it. */
	private SyncResult syncLocked(boolean checkpoint) {
		try {
			long started = System.nanoTime();
			ensureWalExists();
			long walSizeBefore = walSize();
			SyncResult result = syncShadow();
			CheckpointMode mode = checkpoint ? this.checkpointer.checkpointNeeded(walSizeBefore, result) : null;
			if (mode != null) {
				boolean restarted = this.checkpointer.checkpoint(mode);
				result = result.withCheckpoint(this.position, mode, restarted);
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
			if (this.position.isNone()) {
				return null;
			}
			SyncResult current = new SyncResult(this.position, 0, false, false, null, false);
			CheckpointMode mode = this.checkpointer.checkpointNeeded(walSize(), current);
			if (mode == null) {
				return null;
			}
			boolean restarted = this.checkpointer.checkpoint(mode);
			return current.withCheckpoint(this.position, mode, restarted);
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
	 * Streams the main database file for a snapshot at the current shadow index. A PASSIVE checkpoint
	 * first moves what it can into the file; the read lock held meanwhile keeps anyone from restarting
	 * the WAL, so snapshot(N) + every frame of index N from its start reproduces the database. The file
	 * holds no frame beyond the position passed to {@code body}.
	 * <p>
	 * The file is first copied to {@value #SNAPSHOT_STAGING_FILE} in the metadata directory under the
	 * database lock (a local copy at disk speed), and {@code body} then reads that copy with the lock
	 * released: shadow WAL syncs and checkpoints go on while a snapshot is compressed and uploaded, so
	 * the WAL stays small under a busy writer. Only when the metadata directory's file system lacks the
	 * room for the copy does {@code body} read the database file itself, with the lock held throughout.
	 */
	public <T> T withSnapshot(SnapshotBody<T> body) throws IOException {
		Pos pos;
		Path staged = this.state.metaDir().resolve(SNAPSHOT_STAGING_FILE);
		this.lock.lock();
		try {
			ensureWalExists();
			// Refresh the read mark to the WAL's end, then copy: the shadow WAL now holds every frame
			// the back-fill below can put into the database file.
			this.connections.refreshReadLock();
			pos = syncShadow().position();
			try (Statement st = this.connections.write().createStatement()) {
				// Back-fills only up to our read mark, and nobody can restart the WAL meanwhile.
				st.execute("PRAGMA wal_checkpoint(PASSIVE)");
			}
			if (!DatabaseFiles.copyIfRoom(path(), staged)) {
				logger.info("{}: not enough free space beside the shadow WAL to stage a snapshot; the database "
						+ "stays locked for replication while the snapshot uploads", path());
				try (InputStream in = DatabaseFiles.newInputStream(path())) {
					return body.write(pos, in);
				}
			}
		}
		catch (SQLException ex) {
			throw new IOException("cannot prepare snapshot of " + path() + ": " + ex.getMessage(), ex);
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

	/** Forgets the current generation so that the next sync starts a new one. */
	public void resetGeneration(String reason) {
		this.lock.lock();
		try {
			logger.warn("{}: starting over with a new generation: {}", path(), reason);
			this.state.clearGeneration();
			this.position = Pos.NONE;
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
			Pos pos = this.position;
			if (!pos.isNone() && lowestReplicaIndex > 0) {
				this.state.deleteShadowWalsBelow(pos.generation(), Math.min(lowestReplicaIndex - 1, pos.index()));
			}
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
			Pos pos = this.position;
			if (pos.isNone() || maxBytes <= 0) {
				return -1;
			}
			List<Long> indexes = this.state.shadowWalIndexes(pos.generation());
			long[] sizes = new long[indexes.size()];
			long total = 0;
			for (int i = 0; i < indexes.size(); i++) {
				sizes[i] = Math.max(0, shadowWalSize(pos.generation(), indexes.get(i)));
				total += sizes[i];
			}
			long lowestKept = -1;
			for (int i = 0; i < indexes.size() && total > maxBytes && indexes.get(i) < pos.index(); i++) {
				Files.deleteIfExists(this.state.shadowWal(pos.generation(), indexes.get(i)));
				total -= sizes[i];
				lowestKept = (i + 1 < indexes.size()) ? indexes.get(i + 1) : pos.index();
			}
			return lowestKept;
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
		try {
			return WalFiles.alignedSize(Files.size(this.state.shadowWal(generation, index)), this.pageSize);
		}
		catch (NoSuchFileException ex) {
			return -1;
		}
	}

	public Path shadowWalPath(String generation, long index) {
		return this.state.shadowWal(generation, index);
	}

	@Override
	public void close() {
		this.lock.lock();
		try {
			this.connections.closeQuietly();
		}
		finally {
			this.lock.unlock();
		}
	}

	// ---- shadow WAL -------------------------------------------------------------------------------

	SyncResult syncShadow() throws IOException, SQLException {
		// Step 1: is what we copied so far still a prefix of the real WAL?
		WalVerifier.Verdict verdict = new WalVerifier(this.state, this.options.walPath(), this.pageSize).verify();
		boolean newGeneration = false;
		if (verdict.reason() != null) {
			// Another process may just have truncated the WAL to nothing: a new generation needs a header.
			ensureWalExists();
			startGeneration(verdict.reason());
			newGeneration = true;
			verdict = WalVerifier.Verdict.continuing();
		}
		String generation = this.state.generation();
		long index = this.state.maxShadowWalIndex(generation);
		ShadowWalCopier copier = new ShadowWalCopier(this.options.walPath(), this.pageSize);

		// Step 2: append the committed frames of the current WAL life.
		long copied = copier.copy(this.state.shadowWal(generation, index));
		boolean restarted = false;
		if (verdict.restart()) {
			// Step 3: the real WAL was restarted by someone else; every old frame is now copied (the
			// verifier proved none was overwritten), so seal this index (durably: the shadow is now the
			// only copy of its frames) and follow the new header.
			FileSync.fsync(this.state.shadowWal(generation, index));
			index = startIndex(generation, index + 1);
			copied += copier.copy(this.state.shadowWal(generation, index));
			restarted = true;
		}
		long size = shadowWalSize(generation, index);
		this.position = new Pos(generation, index, size);
		return new SyncResult(this.position, copied, newGeneration, restarted, null, false);
	}

	/**
	 * Seals the current index and starts the next one from the real WAL's new header, copying what the
	 * new WAL already holds: the engine's own checkpoint restarted the WAL after copying all of the old.
	 */
	void startNextIndex() throws IOException {
		Pos pos = this.position;
		long index = startIndex(pos.generation(), pos.index() + 1);
		new ShadowWalCopier(this.options.walPath(), this.pageSize)
			.copy(this.state.shadowWal(pos.generation(), index));
		this.position = new Pos(pos.generation(), index, shadowWalSize(pos.generation(), index));
	}

	/** Creates shadow index {@code index} from the real WAL header; returns the index. */
	private long startIndex(String generation, long index) throws IOException {
		if (index >= ReplicaPaths.MAX_INDEX) {
			throw new IOException("maximum WAL index reached");
		}
		byte[] header = readRealWalHeader();
		Path shadow = this.state.shadowWal(generation, index);
		Files.createDirectories(shadow.getParent());
		Path tmp = shadow.resolveSibling(shadow.getFileName() + ".tmp");
		Files.write(tmp, header);
		FileSync.fsync(tmp);
		Files.move(tmp, shadow, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
		FileSync.fsyncDirectory(shadow.getParent());
		return index;
	}

	private void startGeneration(String reason) throws IOException {
		byte[] id = new byte[8];
		RANDOM.nextBytes(id);
		String generation = HexFormat.of().formatHex(id);
		Files.createDirectories(this.state.shadowWalDir(generation));
		startIndex(generation, 0);
		this.state.writeGeneration(generation);
		this.state.deleteOtherGenerations(generation);
		logger.info("{}: new generation {} ({})", path(), generation, reason);
		this.listener.onNewGeneration(generation, reason);
	}

	private byte[] readRealWalHeader() throws IOException {
		byte[] header = new byte[WalHeader.SIZE];
		try (FileChannel ch = FileChannel.open(this.options.walPath(), StandardOpenOption.READ)) {
			ByteBuffer buf = ByteBuffer.wrap(header);
			while (buf.hasRemaining()) {
				if (ch.read(buf) < 0) {
					throw new IOException("WAL header of " + this.options.walPath() + " is incomplete");
				}
			}
		}
		WalHeader parsed = WalHeader.parse(header, 0);
		if (!parsed.isChecksumValid()) {
			throw new IOException("WAL header of " + this.options.walPath() + " has an invalid checksum");
		}
		return header;
	}

	private void checkGenerationOnOpen() throws IOException {
		String generation = this.state.generation();
		if (generation != null) {
			long index = this.state.maxShadowWalIndex(generation);
			boolean consistent = false;
			if (index >= 0 && Files.exists(this.options.walPath())) {
				Path shadow = this.state.shadowWal(generation, index);
				byte[] shadowHeader = readPrefix(shadow, WalHeader.SIZE);
				byte[] realHeader = readPrefix(this.options.walPath(), WalHeader.SIZE);
				consistent = shadowHeader.length == WalHeader.SIZE && Arrays.equals(shadowHeader, realHeader);
				if (consistent) {
					// A crash may have left frames of an unfinished copy: keep committed ones only.
					ShadowWalCopier.truncateToLastCommit(shadow, this.pageSize);
				}
			}
			if (!consistent) {
				logger.info("{}: cannot determine last WAL position of generation {}, a new generation will start",
						path(), generation);
				this.state.clearGeneration();
				generation = null;
			}
		}
		this.state.deleteOtherGenerations(generation);
	}

	static byte[] readPrefix(Path file, int n) throws IOException {
		try (InputStream in = Files.newInputStream(file)) {
			return in.readNBytes(n);
		}
		catch (NoSuchFileException ex) {
			return new byte[0];
		}
	}

	// ---- WAL file ---------------------------------------------------------------------------------

	private void ensureWalExists() throws SQLException, IOException {
		if (walSizeRaw() >= WalHeader.SIZE) {
			return;
		}
		try (Statement st = this.connections.write().createStatement()) {
			st.execute("INSERT INTO _litestream_seq (id, seq) VALUES (1, 1) "
					+ "ON CONFLICT (id) DO UPDATE SET seq = seq + 1");
		}
	}

	private long walSizeRaw() throws IOException {
		try {
			return Files.size(this.options.walPath());
		}
		catch (NoSuchFileException ex) {
			return 0;
		}
	}

	private long walSize() throws IOException {
		return WalFiles.alignedSize(walSizeRaw(), this.pageSize);
	}

	/** Receives a stream of the main database file for a snapshot at a position. */
	@FunctionalInterface
	public interface SnapshotBody<T> {

		T write(Pos position, InputStream databaseFile) throws IOException;

	}

}
