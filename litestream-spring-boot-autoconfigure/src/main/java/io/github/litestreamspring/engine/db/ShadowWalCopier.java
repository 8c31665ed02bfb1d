package io.github.litestreamspring.engine.db;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.github.litestreamspring.engine.wal.WalFiles;
import io.github.litestreamspring.engine.wal.WalFrameHeader;
import io.github.litestreamspring.engine.wal.WalHeader;
import io.github.litestreamspring.engine.wal.WalReader;

/**
 * Appends the real WAL's new committed frames to a shadow WAL file (Litestream's
 * {@code copyToShadowWAL}): frames are read from the shadow's end, must carry the shadow header's
 * salts and continue its checksum chain, and only whole transactions (up to the last commit frame)
 * are kept.
 * <p>
 * The copy is not fsynced here: the real WAL still holds every copied frame until it is restarted,
 * so the shadow must be durable only before a restart, and the engine fsyncs it then ({@link Checkpointer}
 * before its restarting commit, {@link ShadowWal} when it seals an index after somebody else's restart).
 * A crash before that leaves at most a shorter shadow, which the next sync copies again (a torn tail is
 * cut back to its last commit at start-up).
 */
final class ShadowWalCopier {

	private final Path walPath;

	private final int pageSize;

	ShadowWalCopier(Path walPath, int pageSize) {
		this.walPath = walPath;
		this.pageSize = pageSize;
	}

	/** @return bytes appended */
	long copy(Path shadow) throws IOException {
		if (!Files.exists(this.walPath)) {
			return 0;
		}
		try (FileChannel out = FileChannel.open(shadow, StandardOpenOption.READ, StandardOpenOption.WRITE);
				FileChannel in = FileChannel.open(this.walPath, StandardOpenOption.READ)) {
			long start = WalFiles.alignedSize(out.size(), this.pageSize);
			if (out.size() != start) {
				out.truncate(start);
			}
			WalHeader header = readHeader(out, shadow);
			long seed = seed(out, header, start);
			long end = start;
			long lastCommit = start;
			try (WalReader reader = new WalReader(in, header, start, seed)) {
				while (reader.next()) {
					ByteBuffer frame = ByteBuffer.wrap(reader.frame());
					while (frame.hasRemaining()) {
						out.write(frame, end + frame.position());
					}
					end += frame.capacity();
					if (reader.frameHeader().isCommit()) {
						lastCommit = end;
					}
				}
			}
			if (end != lastCommit) {
				out.truncate(lastCommit);
			}
			return lastCommit - start;
		}
		catch (NoSuchFileException ex) {
			throw new IOException("shadow WAL " + shadow + " disappeared", ex);
		}
	}

	/** Drops frames after the last commit frame of a shadow WAL (left by a crash mid-copy). */
	static void truncateToLastCommit(Path shadow, int pageSize) throws IOException {
		try (FileChannel ch = FileChannel.open(shadow, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
			if (ch.size() < WalHeader.SIZE) {
				return;
			}
			WalHeader header = readHeader(ch, shadow);
			long lastCommit = WalReader.scanCommitted(ch, header, WalHeader.SIZE, header.checksum())
				.lastCommitEndOffset();
			if (ch.size() > lastCommit) {
				ch.truncate(lastCommit);
				ch.force(false);
			}
		}
	}

	private static WalHeader readHeader(FileChannel ch, Path file) throws IOException {
		ByteBuffer buf = ByteBuffer.allocate(WalHeader.SIZE);
		readFully(ch, buf, 0, file);
		return WalHeader.parse(buf.array(), 0);
	}

	/** The running checksum at {@code offset}: the last frame's, or the header's if there is none. */
	private long seed(FileChannel ch, WalHeader header, long offset) throws IOException {
		if (offset <= WalHeader.SIZE) {
			return header.checksum();
		}
		ByteBuffer buf = ByteBuffer.allocate(WalFrameHeader.SIZE);
		readFully(ch, buf, offset - (WalFrameHeader.SIZE + this.pageSize), this.walPath);
		return WalFrameHeader.parse(buf.array(), 0).checksum();
	}

	private static void readFully(FileChannel ch, ByteBuffer buf, long offset, Path file) throws IOException {
		while (buf.hasRemaining()) {
			if (ch.read(buf, offset + buf.position()) < 0) {
				throw new IOException("unexpected end of " + file);
			}
		}
	}

}
