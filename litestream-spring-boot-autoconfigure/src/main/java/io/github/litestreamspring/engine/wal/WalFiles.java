package io.github.litestreamspring.engine.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Offset arithmetic for SQLite WAL files.
 */
public final class WalFiles {

	private WalFiles() {
	}

	/**
	 * The size of the whole frames in a WAL file: the header plus every complete frame, ignoring a
	 * partially written last frame. Says nothing about whether the frames are valid.
	 * @param fileSize the size of the WAL file
	 * @param pageSize the page size from its header
	 * @return {@code 0} if the file does not even hold a header, otherwise
	 * {@code 32 + n * (24 + pageSize)}
	 */
	public static long alignedSize(long fileSize, int pageSize) {
		if (fileSize < WalHeader.SIZE) {
			return 0;
		}
		long frameSize = WalFrameHeader.SIZE + (long) pageSize;
		return WalHeader.SIZE + ((fileSize - WalHeader.SIZE) / frameSize) * frameSize;
	}

	/**
	 * The offset of a frame.
	 * @param frameNo 0-based frame index (SQLite's own frame numbers start at 1: pass
	 * {@code iFrame - 1})
	 * @param pageSize the page size from the WAL header
	 * @return {@code 32 + frameNo * (24 + pageSize)}
	 */
	public static long frameOffset(long frameNo, int pageSize) {
		return WalHeader.SIZE + frameNo * (WalFrameHeader.SIZE + (long) pageSize);
	}

	/** Whether {@code offset} is the start of a frame (or the end of the header). */
	static boolean isFrameAligned(long offset, int pageSize) {
		return offset >= WalHeader.SIZE && (offset - WalHeader.SIZE) % (WalFrameHeader.SIZE + (long) pageSize) == 0;
	}

	/**
	 * Read and parse the header at the start of a WAL file. The checksum is not verified.
	 * @param channel the WAL file
	 * @return the header
	 * @throws WalFormatException if the file is shorter than a header or the header is invalid
	 * @throws IOException on a read error
	 */
	public static WalHeader readHeader(FileChannel channel) throws IOException {
		byte[] b = new byte[WalHeader.SIZE];
		if (readFully(channel, ByteBuffer.wrap(b), 0) < WalHeader.SIZE) {
			throw new WalFormatException("WAL file too short for a header");
		}
		return WalHeader.parse(b, 0);
	}

	/**
	 * Positional read until the buffer is full or the file ends; does not move the channel's position.
	 * @return the number of bytes read
	 */
	static int readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
		int total = 0;
		while (buffer.hasRemaining()) {
			int n = channel.read(buffer, position + total);
			if (n < 0) {
				break;
			}
			total += n;
		}
		return total;
	}

}
