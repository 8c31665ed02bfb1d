package io.github.litestreamspring.engine.db;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.wal.WalFiles;
import io.github.litestreamspring.engine.wal.WalFrameHeader;
import io.github.litestreamspring.engine.wal.WalHeader;

/**
 * Decides whether the real WAL still continues what the shadow WAL holds (Litestream's
 * {@code verify}). Each reason it can return means continuity cannot be proven and a new generation
 * must start; the reason strings are Litestream's, so logs read the same.
 * <p>
 * A differing header with an intact last frame means SQLite restarted the WAL but has not yet
 * overwritten anything past what was copied: the old frames beyond it are still readable, and the
 * shadow index can be completed and sealed ({@link Verdict#restart()}). That holds only for one
 * restart: salt-1 must have grown by exactly one, else a whole WAL life was missed.
 */
final class WalVerifier {

	private final LocalState state;

	private final Path walPath;

	private final int pageSize;

	WalVerifier(LocalState state, Path walPath, int pageSize) {
		this.state = state;
		this.walPath = walPath;
		this.pageSize = pageSize;
	}

	Verdict verify() throws IOException {
		String generation = this.state.generation();
		if (generation == null) {
			return Verdict.newGeneration("no generation exists");
		}
		long walSize = WalFiles.alignedSize(sizeOf(this.walPath), this.pageSize);
		long index = this.state.maxShadowWalIndex(generation);
		if (index < 0) {
			return Verdict.newGeneration("no shadow wal");
		}
		if (index >= ReplicaPaths.MAX_INDEX) {
			return Verdict.newGeneration("max index exceeded");
		}
		Path shadow = this.state.shadowWal(generation, index);
		long shadowSize = WalFiles.alignedSize(sizeOf(shadow), this.pageSize);
		if (shadowSize < WalHeader.SIZE) {
			return Verdict.newGeneration("short shadow wal");
		}
		if (shadowSize > walSize) {
			return Verdict.newGeneration("wal truncated by another process");
		}
		boolean restart = !Arrays.equals(read(shadow, 0, WalHeader.SIZE), read(this.walPath, 0, WalHeader.SIZE));
		if (shadowSize == WalHeader.SIZE) {
			return restart ? Verdict.newGeneration("wal header only, mismatched") : Verdict.continuing();
		}
		int frameSize = WalFrameHeader.SIZE + this.pageSize;
		long lastFrame = shadowSize - frameSize;
		if (!Arrays.equals(read(shadow, lastFrame, frameSize), read(this.walPath, lastFrame, frameSize))) {
			return Verdict.newGeneration("wal overwritten by another process");
		}
		if (restart && !isSingleRestart(read(shadow, 0, WalHeader.SIZE), read(this.walPath, 0, WalHeader.SIZE))) {
			return Verdict.newGeneration("wal restarted more than once");
		}
		return restart ? Verdict.restarted() : Verdict.continuing();
	}

	/**
	 * Whether {@code next} is the header SQLite writes when it restarts the WAL that {@code previous}
	 * began: every restart increments salt-1 by exactly one (salt-2 is random). Anything else means a
	 * WAL life came and went unseen — its frames are lost to us — or the file was recreated.
	 */
	static boolean isSingleRestart(byte[] previous, byte[] next) throws IOException {
		if (previous.length < WalHeader.SIZE || next.length < WalHeader.SIZE) {
			return false;
		}
		return WalHeader.parse(next, 0).salt1() == WalHeader.parse(previous, 0).salt1() + 1;
	}

	private static long sizeOf(Path file) throws IOException {
		try {
			return Files.size(file);
		}
		catch (NoSuchFileException ex) {
			return 0;
		}
	}

	private static byte[] read(Path file, long offset, int length) throws IOException {
		ByteBuffer buf = ByteBuffer.allocate(length);
		try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
			while (buf.hasRemaining()) {
				if (ch.read(buf, offset + buf.position()) < 0) {
					break;
				}
			}
		}
		return Arrays.copyOf(buf.array(), buf.position());
	}

	/**
	 * @param reason why a new generation must start, or {@code null}
	 * @param restart whether the real WAL has a new header whose predecessor can still be completed
	 */
	record Verdict(String reason, boolean restart) {

		static Verdict newGeneration(String reason) {
			return new Verdict(reason, false);
		}

		static Verdict continuing() {
			return new Verdict(null, false);
		}

		static Verdict restarted() {
			return new Verdict(null, true);
		}

	}

}
