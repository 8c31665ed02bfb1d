package io.github.litestreamspring.engine.wal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Iterates the valid frames of a SQLite WAL file, exactly as Litestream v0.3's
 * {@code copyToShadowWAL} does.
 * <p>
 * Starting at a frame-aligned offset, each call to {@link #next()} reads one frame and accepts it
 * only if it is complete, carries the header's salts and its stored checksum equals the running
 * checksum continued over its first 8 header bytes and its page. The first frame that fails any of
 * these ends the iteration for good: what follows it is a leftover of an earlier WAL generation or
 * a write in progress.
 * <p>
 * Only one frame is held in memory at a time. The reader uses positional reads and never moves the
 * channel's position; {@link #close()} does not close the channel, which belongs to the caller.
 */
public final class WalReader implements Closeable {

	private final FileChannel channel;

	private final WalHeader header;

	private final byte[] frame;

	private final ByteBuffer frameBuffer;

	private long nextOffset;

	private long checksum;

	private WalFrameHeader frameHeader;

	private long offset = -1;

	private boolean finished;

	/**
	 * Create a reader.
	 * @param channel the WAL file
	 * @param header the header that frames must match (for Litestream, the shadow WAL's header)
	 * @param startOffset where to start reading, {@code 32 + n * (24 + pageSize)}
	 * @param seedChecksum the packed checksum stored in the last frame before {@code startOffset}, or
	 * the header's checksum if {@code startOffset} is 32
	 */
	public WalReader(FileChannel channel, WalHeader header, long startOffset, long seedChecksum) {
		if (!WalFiles.isFrameAligned(startOffset, header.pageSize())) {
			throw new IllegalArgumentException("Start offset " + startOffset + " is not frame-aligned for page size "
					+ header.pageSize());
		}
		this.channel = channel;
		this.header = header;
		this.frame = new byte[header.frameSize()];
		this.frameBuffer = ByteBuffer.wrap(this.frame);
		this.nextOffset = startOffset;
		this.checksum = seedChecksum;
	}

	/**
	 * Read the next frame.
	 * @return {@code true} if a valid frame was read; {@code false} at the first partial, foreign or
	 * checksum-invalid frame, and on every call after that
	 * @throws IOException on a read error
	 */
	public boolean next() throws IOException {
		if (this.finished) {
			return false;
		}
		this.frameBuffer.clear();
		if (WalFiles.readFully(this.channel, this.frameBuffer, this.nextOffset) < this.frame.length) {
			return finish();
		}
		WalFrameHeader candidate = WalFrameHeader.parse(this.frame, 0);
		if (!candidate.hasSaltOf(this.header)) {
			return finish();
		}
		// The checksum skips the salts and the stored checksum itself (frame header bytes 8-23).
		boolean bigEndian = this.header.bigEndianChecksums();
		long running = WalChecksum.update(bigEndian, this.checksum, this.frame, 0, 8);
		running = WalChecksum.update(bigEndian, running, this.frame, WalFrameHeader.SIZE, this.header.pageSize());
		if (running != candidate.checksum()) {
			return finish();
		}
		this.frameHeader = candidate;
		this.offset = this.nextOffset;
		this.nextOffset += this.frame.length;
		this.checksum = running;
		return true;
	}

	private boolean finish() {
		this.finished = true;
		// Keep the accessors consistent with "the last valid frame" rather than the rejected bytes.
		this.frameHeader = null;
		return false;
	}

	/** The header of the current frame. Only valid after {@link #next()} returned {@code true}. */
	public WalFrameHeader frameHeader() {
		requireFrame();
		return this.frameHeader;
	}

	/**
	 * The current frame: 24-byte frame header followed by the page. The array is reused by the next
	 * call to {@link #next()}; copy it to keep it.
	 */
	public byte[] frame() {
		requireFrame();
		return this.frame;
	}

	/** The offset of the current frame in the file. */
	public long offset() {
		requireFrame();
		return this.offset;
	}

	/**
	 * The offset just after the last valid frame, or the start offset if there was none. Unlike the
	 * other accessors it stays available after the iteration ended.
	 */
	public long endOffset() {
		return this.nextOffset;
	}

	/**
	 * The running checksum after the last valid frame, or the seed if there was none. Stays available
	 * after the iteration ended.
	 */
	public long checksum() {
		return this.checksum;
	}

	private void requireFrame() {
		if (this.frameHeader == null) {
			throw new IllegalStateException("No current frame");
		}
	}

	/** Does nothing: the channel belongs to the caller. */
	@Override
	public void close() {
	}

	/**
	 * Scan the valid frames from {@code startOffset} and report where the last complete transaction
	 * ends: the part Litestream would copy to its shadow WAL.
	 * @param channel the WAL file
	 * @param header the header frames must match
	 * @param startOffset frame-aligned offset to start at
	 * @param seedChecksum checksum of the frame before {@code startOffset}, or the header's
	 * @return the result of the scan
	 * @throws IOException on a read error
	 */
	public static Result scanCommitted(FileChannel channel, WalHeader header, long startOffset, long seedChecksum)
			throws IOException {
		try (WalReader reader = new WalReader(channel, header, startOffset, seedChecksum)) {
			long commitEnd = startOffset;
			long commitChecksum = seedChecksum;
			long count = 0;
			while (reader.next()) {
				count++;
				if (reader.frameHeader().isCommit()) {
					commitEnd = reader.endOffset();
					commitChecksum = reader.checksum();
				}
			}
			return new Result(commitEnd, commitChecksum, count);
		}
	}

	/**
	 * Outcome of {@link WalReader#scanCommitted}.
	 *
	 * @param lastCommitEndOffset end of the last commit frame, or the start offset if none was found
	 * @param lastCommitChecksum running checksum after that commit frame, or the seed
	 * @param validFrameCount number of valid frames, including an uncommitted tail
	 */
	public record Result(long lastCommitEndOffset, long lastCommitChecksum, long validFrameCount) {

	}

}
