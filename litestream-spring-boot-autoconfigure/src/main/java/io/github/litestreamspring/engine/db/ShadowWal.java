package io.github.litestreamspring.engine.db;

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
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.wal.WalFiles;
import io.github.litestreamspring.engine.wal.WalHeader;

/**
 * The shadow WAL of one database and its generations (the part of Litestream's {@code DB.Sync} before
 * the checkpoint, with {@code createGeneration}, {@code initShadowWALIndex} and the header check of
 * {@code DB.init}): checks at start-up whether the recorded generation can be continued, keeps the
 * shadow WAL in step with the real {@code -wal} (with {@link WalVerifier} and {@link ShadowWalCopier}),
 * and starts a new generation or shadow index when needed; prunes and bounds the shadow WAL files.
 * Split from {@link Database}, which calls it under its lock, as does {@link Checkpointer}.
 * <p>
 * This class alone writes the local position, always under Database's lock; the field is volatile so
 * that other threads read it without the lock ({@link Database#position()},
 * {@link Database#checkpointDue()}).
 */
final class ShadowWal {

	/** Under Database's name, as before this class was split from it: the log category is unchanged. */
	private static final Logger logger = LoggerFactory.getLogger(Database.class);

	private static final SecureRandom RANDOM = new SecureRandom();

	private final WalFile wal;

	private final LocalState state;

	private final Supplier<DatabaseListener> listener;

	/** Written only by this class, under Database's lock; read by any thread without it. */
	private volatile Pos position = Pos.NONE;

	ShadowWal(WalFile wal, LocalState state, Supplier<DatabaseListener> listener) {
		this.wal = wal;
		this.state = state;
		this.listener = listener;
	}

	/** The local position: generation, highest shadow index and its size. {@link Pos#NONE} before the first sync. */
	Pos position() {
		return this.position;
	}

	/** Forgets the current generation so that the next sync starts a new one. */
	void clearGeneration() throws IOException {
		this.state.clearGeneration();
		this.position = Pos.NONE;
	}

	/** Size of the shadow WAL file of {@code index} in the current generation, -1 if it does not exist. */
	long size(String generation, long index) throws IOException {
		try {
			return WalFiles.alignedSize(Files.size(this.state.shadowWal(generation, index)), this.wal.pageSize());
		}
		catch (NoSuchFileException ex) {
			return -1;
		}
	}

	/** Deletes shadow WAL files that every replica has passed (keeps one index before the slowest). */
	void prune(long lowestReplicaIndex) throws IOException {
		Pos pos = this.position;
		if (!pos.isNone() && lowestReplicaIndex > 0) {
			this.state.deleteShadowWalsBelow(pos.generation(), Math.min(lowestReplicaIndex - 1, pos.index()));
		}
	}

	/**
	 * Keeps the current generation's shadow WAL within {@code maxBytes}: deletes its oldest files while
	 * the total exceeds the bound, never the current index.
	 * @return the lowest index left on disk if anything was deleted, otherwise -1
	 */
	long bound(long maxBytes) throws IOException {
		Pos pos = this.position;
		if (pos.isNone() || maxBytes <= 0) {
			return -1;
		}
		List<Long> indexes = this.state.shadowWalIndexes(pos.generation());
		long[] sizes = new long[indexes.size()];
		long total = 0;
		for (int i = 0; i < indexes.size(); i++) {
			sizes[i] = Math.max(0, size(pos.generation(), indexes.get(i)));
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

	/**
	 * Copies newly committed WAL frames into the shadow WAL, starting a new generation or shadow index
	 * when needed.
	 */
	SyncResult sync() throws IOException, SQLException {
		int pageSize = this.wal.pageSize();
		// Step 1: is what we copied so far still a prefix of the real WAL?
		WalVerifier.Verdict verdict = new WalVerifier(this.state, this.wal.walPath(), pageSize).verify();
		boolean newGeneration = false;
		if (verdict.reason() != null) {
			// Another process may just have truncated the WAL to nothing: a new generation needs a header.
			this.wal.ensureWalExists();
			startGeneration(verdict.reason());
			newGeneration = true;
			verdict = WalVerifier.Verdict.continuing();
		}
		String generation = this.state.generation();
		long index = this.state.maxShadowWalIndex(generation);
		ShadowWalCopier copier = new ShadowWalCopier(this.wal.walPath(), pageSize);

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
		long size = size(generation, index);
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
		new ShadowWalCopier(this.wal.walPath(), this.wal.pageSize())
			.copy(this.state.shadowWal(pos.generation(), index));
		this.position = new Pos(pos.generation(), index, size(pos.generation(), index));
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

	private void startGeneration(String reason) throws IOException, SQLException {
		byte[] id = new byte[8];
		RANDOM.nextBytes(id);
		String generation = HexFormat.of().formatHex(id);
		Files.createDirectories(this.state.shadowWalDir(generation));
		for (int attempt = 1;; attempt++) {
			try {
				startIndex(generation, 0);
				break;
			}
			catch (WalHeaderMissingException ex) {
				// Another process truncated the WAL again (a TRUNCATE checkpoint, possible while our read
				// lock sits on a fully back-filled WAL) right after ensureWalExists() gave it a header.
				if (attempt == 3) {
					throw ex;
				}
				this.wal.ensureWalExists();
			}
		}
		this.state.writeGeneration(generation);
		this.state.deleteOtherGenerations(generation);
		logger.info("{}: new generation {} ({})", this.wal.databasePath(), generation, reason);
		this.listener.get().onNewGeneration(generation, reason);
	}

	private byte[] readRealWalHeader() throws IOException {
		byte[] header = new byte[WalHeader.SIZE];
		try (FileChannel ch = FileChannel.open(this.wal.walPath(), StandardOpenOption.READ)) {
			ByteBuffer buf = ByteBuffer.wrap(header);
			while (buf.hasRemaining()) {
				if (ch.read(buf) < 0) {
					throw new WalHeaderMissingException("WAL header of " + this.wal.walPath() + " is incomplete");
				}
			}
		}
		catch (NoSuchFileException ex) {
			throw new WalHeaderMissingException("WAL " + this.wal.walPath() + " does not exist");
		}
		WalHeader parsed = WalHeader.parse(header, 0);
		if (!parsed.isChecksumValid()) {
			throw new IOException("WAL header of " + this.wal.walPath() + " has an invalid checksum");
		}
		return header;
	}

	/**
	 * Keeps the recorded generation only if the database can be shown to continue it: its real WAL's
	 * header still matches the last shadow index's (a crash, or a stop while other connections kept the
	 * WAL), or a clean-stop record proves that the file holds exactly the shadow WAL's end (the engine
	 * closed last and SQLite deleted the WAL) — then the generation goes on with the next WAL index.
	 * Deletes every other local generation, and the clean-stop record, which may vouch only once.
	 */
	void checkGenerationOnOpen() throws IOException, SQLException {
		CleanStop cleanStop = CleanStop.read(this.state.metaDir());
		String generation = this.state.generation();
		if (generation != null) {
			long index = this.state.maxShadowWalIndex(generation);
			boolean consistent = false;
			if (index >= 0 && Files.exists(this.wal.walPath())) {
				Path shadow = this.state.shadowWal(generation, index);
				byte[] shadowHeader = readPrefix(shadow, WalHeader.SIZE);
				byte[] realHeader = readPrefix(this.wal.walPath(), WalHeader.SIZE);
				consistent = shadowHeader.length == WalHeader.SIZE && Arrays.equals(shadowHeader, realHeader);
				if (consistent) {
					// A crash may have left frames of an unfinished copy: keep committed ones only.
					ShadowWalCopier.truncateToLastCommit(shadow, this.wal.pageSize());
				}
			}
			if (!consistent && index >= 0 && provesCleanStop(cleanStop, generation, index)) {
				// The file is the state at the shadow WAL's end; whatever the WAL holds now (nothing, or
				// commits made since start-up) lies on top of it: the next index of the same generation.
				this.wal.ensureWalExists();
				long next = startIndex(generation, index + 1);
				new ShadowWalCopier(this.wal.walPath(), this.wal.pageSize())
					.copy(this.state.shadowWal(generation, next));
				logger.info("{}: continuing generation {} after a clean stop at {} with WAL index {}",
						this.wal.databasePath(), generation, cleanStop.position(), ReplicaPaths.formatIndex(next));
				consistent = true;
			}
			if (!consistent) {
				logger.info("{}: cannot determine last WAL position of generation {}, a new generation will start",
						this.wal.databasePath(), generation);
				this.state.clearGeneration();
				generation = null;
			}
		}
		CleanStop.delete(this.state.metaDir());
		this.state.deleteOtherGenerations(generation);
	}

	/** Whether {@code stop} proves that the database file is the state at the end of shadow index {@code index}. */
	private boolean provesCleanStop(CleanStop stop, String generation, long index) throws IOException {
		if (stop == null) {
			return false;
		}
		String whyNot = stop.whyNotAt(new Pos(generation, index, size(generation, index)), this.wal.databasePath());
		if (whyNot != null) {
			logger.info("{}: {}", this.wal.databasePath(), whyNot);
		}
		return whyNot == null;
	}

	static byte[] readPrefix(Path file, int n) throws IOException {
		try (InputStream in = Files.newInputStream(file)) {
			return in.readNBytes(n);
		}
		catch (NoSuchFileException ex) {
			return new byte[0];
		}
	}

	/** The real WAL has no (complete) header: it was deleted or truncated by another connection. */
	private static final class WalHeaderMissingException extends IOException {

		WalHeaderMissingException(String message) {
			super(message);
		}

	}

}
