package io.github.litestreamspring.engine.db;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Arrays;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.wal.WalHeader;
import io.github.litestreamspring.engine.wal.WalReader;

/**
 * What the local files prove about a database's history before anything opens it: the generation
 * recorded in the metadata directory, where its shadow WAL ends, and how the database relates to that
 * end. Read with plain file reads (no SQLite connection), so the start-up restore can compare it with a
 * replica before the application's pool exists.
 *
 * @param generation the recorded generation, {@code null} if none
 * @param end where the local history ends: the real WAL's last commit when the WAL continues the
 * shadow WAL (commits not copied yet count: they are the application's), else the shadow WAL's end
 * @param shadowEnd where the shadow WAL ends
 * @param proof how the database file is tied to the shadow WAL
 * @param generationStartedAt when the generation was recorded (the {@code generation} file's time)
 */
public record LocalHistory(String generation, Pos end, Pos shadowEnd, Proof proof, Instant generationStartedAt,
		LocalState state, Path walPath, int pageSize) {

	/** How the database file is tied to the shadow WAL. */
	public enum Proof {

		/** No generation recorded: an existing database the engine never replicated (or lost its metadata). */
		NONE,

		/** The real WAL's header matches the last shadow index's: it continues what was copied (a crash). */
		WAL_CONTINUES,

		/** A clean-stop record vouches that the file holds exactly the shadow WAL's end. */
		CLEAN_STOP,

		/** A generation is recorded but nothing ties the file to it (the WAL is gone, no clean stop). */
		UNPROVEN

	}

	/** Reads the local history of {@code database} from {@code metaDir}. */
	public static LocalHistory read(Path database, Path metaDir) throws IOException {
		LocalState state = new LocalState(metaDir);
		Path walPath = database.resolveSibling(database.getFileName() + "-wal");
		String generation = state.generation();
		if (generation == null) {
			return new LocalHistory(null, Pos.NONE, Pos.NONE, Proof.NONE, null, state, walPath, 0);
		}
		Instant startedAt = Files.getLastModifiedTime(metaDir.resolve("generation")).toInstant();
		long index = state.maxShadowWalIndex(generation);
		Path shadow = state.shadowWal(generation, index);
		byte[] shadowHeader = (index >= 0) ? ShadowWal.readPrefix(shadow, WalHeader.SIZE) : new byte[0];
		if (shadowHeader.length < WalHeader.SIZE) {
			return new LocalHistory(generation, Pos.NONE, Pos.NONE, Proof.UNPROVEN, startedAt, state, walPath, 0);
		}
		WalHeader header = WalHeader.parse(shadowHeader, 0);
		int pageSize = header.pageSize();
		long shadowSize = committedEnd(shadow, header, WalHeader.SIZE, header.checksum());
		Pos shadowEnd = new Pos(generation, index, shadowSize);
		if (Arrays.equals(shadowHeader, ShadowWal.readPrefix(walPath, WalHeader.SIZE))) {
			long seed = (shadowSize > WalHeader.SIZE) ? frameChecksum(shadow, shadowSize - header.frameSize()) : header.checksum();
			long walEnd = Math.max(shadowSize, committedEnd(walPath, header, shadowSize, seed));
			return new LocalHistory(generation, new Pos(generation, index, walEnd), shadowEnd, Proof.WAL_CONTINUES,
					startedAt, state, walPath, pageSize);
		}
		CleanStop stop = CleanStop.read(metaDir);
		if (stop != null && stop.whyNotAt(shadowEnd, database) == null) {
			// A WAL begun since (by the application's pool at start-up) lies on top of the file; its
			// commits, if any, are local ones the replica cannot have.
			long walCommitted = newWalCommitted(walPath);
			Pos end = (walCommitted > 0) ? new Pos(generation, index + 1, walCommitted) : shadowEnd;
			return new LocalHistory(generation, end, shadowEnd, Proof.CLEAN_STOP, startedAt, state, walPath, pageSize);
		}
		return new LocalHistory(generation, shadowEnd, shadowEnd, Proof.UNPROVEN, startedAt, state, walPath, pageSize);
	}

	/**
	 * The bytes that end at {@code end} in the local history: the frame before it, or the WAL header if
	 * {@code end} is right after it; {@code null} if the local files no longer hold them.
	 */
	public byte[] bytesBefore(Pos end) throws IOException {
		if (end.offset() < WalHeader.SIZE || this.pageSize == 0) {
			return null;
		}
		int length = (end.offset() == WalHeader.SIZE) ? WalHeader.SIZE : io.github.litestreamspring.engine.wal.WalFrameHeader.SIZE + this.pageSize;
		long from = end.offset() - length;
		Path shadow = this.state.shadowWal(end.generation(), end.index());
		byte[] bytes = readAt(shadow, from, length);
		if (bytes == null && this.proof == Proof.WAL_CONTINUES && end.index() == this.shadowEnd.index()) {
			bytes = readAt(this.walPath, from, length);
		}
		return bytes;
	}

	private static byte[] readAt(Path file, long offset, int length) throws IOException {
		try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
			if (ch.size() < offset + length) {
				return null;
			}
			ByteBuffer buf = ByteBuffer.allocate(length);
			while (buf.hasRemaining()) {
				if (ch.read(buf, offset + buf.position()) < 0) {
					return null;
				}
			}
			return buf.array();
		}
		catch (NoSuchFileException ex) {
			return null;
		}
	}

	/** End of the last whole transaction of a WAL file read from {@code start} on. */
	private static long committedEnd(Path file, WalHeader header, long start, long seed) throws IOException {
		try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
			return Math.max(start, WalReader.scanCommitted(ch, header, start, seed).lastCommitEndOffset());
		}
		catch (NoSuchFileException ex) {
			return start;
		}
	}

	private static long frameChecksum(Path file, long frameOffset) throws IOException {
		byte[] frameHeader = readAt(file, frameOffset, 24);
		return (frameHeader != null) ? io.github.litestreamspring.engine.wal.WalFrameHeader.parse(frameHeader, 0).checksum()
				: 0;
	}

	/** End of the last commit of a WAL that is not the shadow's (0 if it holds none). */
	private static long newWalCommitted(Path walPath) throws IOException {
		byte[] bytes = ShadowWal.readPrefix(walPath, WalHeader.SIZE);
		if (bytes.length < WalHeader.SIZE) {
			return 0;
		}
		WalHeader header = WalHeader.parse(bytes, 0);
		if (!header.isChecksumValid()) {
			return 0;
		}
		long end = committedEnd(walPath, header, WalHeader.SIZE, header.checksum());
		return (end > WalHeader.SIZE) ? end : 0;
	}

}
