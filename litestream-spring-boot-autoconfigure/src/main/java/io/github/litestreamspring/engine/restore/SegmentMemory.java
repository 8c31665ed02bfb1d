package io.github.litestreamspring.engine.restore;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.concurrent.Semaphore;

/**
 * The decoded WAL segments a restore holds in memory at once, bounded in bytes: each at most
 * {@code perSegmentLimit}, all together at most {@code budget}. A segment that does not fit (too large,
 * or the budget is taken by segments still waiting for their turn) is handed back partly read and goes
 * through a temporary file instead; nothing ever waits for memory. Without the shared budget the memory
 * was the download window times the per-segment limit (64 × 1 MiB with 8 threads), which a busy
 * application's transactions of a few hundred pages fill: a restore in a 64 MiB heap ran out of memory.
 * <p>
 * It also gates the downloads of large segments ({@link #startLargeDownload}): each decodes through
 * LZ4 block buffers of up to 4 MiB plus its stored block, so only a few may run at once.
 */
final class SegmentMemory {

	/** The smallest first buffer: most segments of a low-latency replica decode to a few KiB. */
	private static final int MIN_FIRST_BUFFER = 8 * 1024;

	private final int perSegmentLimit;

	private final long budget;

	private final Semaphore largeDownloads;

	private long reserved;

	SegmentMemory(int perSegmentLimit, long budget, int largeDownloads) {
		this.perSegmentLimit = perSegmentLimit;
		this.budget = budget;
		this.largeDownloads = new Semaphore(largeDownloads);
	}

	/** Waits until fewer than the allowed number of large segments are being downloaded. */
	void startLargeDownload() throws IOException {
		try {
			this.largeDownloads.acquire();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException("restore interrupted", ex);
		}
	}

	/** Ends what {@link #startLargeDownload} started. */
	void endLargeDownload() {
		this.largeDownloads.release();
	}

	/**
	 * Reads {@code in} to its end if it fits; otherwise stops early and returns what it read, not
	 * complete (the caller writes those bytes and the rest of {@code in} to a file, then calls
	 * {@link #release}).
	 * @param compressedSize the segment's size on the replica: the first buffer is a few times that, so
	 * that a typical segment is read without growing the buffer
	 */
	Buffer read(InputStream in, long compressedSize) throws IOException {
		byte[] bytes = new byte[0];
		int length = 0;
		while (true) {
			if (length == bytes.length) {
				long wanted = (bytes.length == 0) ? Math.max(MIN_FIRST_BUFFER, 4 * compressedSize) : 2L * bytes.length;
				int grown = (int) Math.min(this.perSegmentLimit + 1L, wanted);
				if (grown == bytes.length || !tryReserve(grown - bytes.length)) {
					return new Buffer(bytes, length, false);
				}
				bytes = Arrays.copyOf(bytes, grown);
			}
			int n = in.read(bytes, length, bytes.length - length);
			if (n < 0) {
				return new Buffer(bytes, length, length <= this.perSegmentLimit);
			}
			length += n;
		}
	}

	/** Returns a buffer's memory to the budget once its bytes are written out. */
	synchronized void release(Buffer buffer) {
		this.reserved -= buffer.bytes().length;
	}

	/** Bytes held by buffers not yet released. */
	synchronized long reserved() {
		return this.reserved;
	}

	private synchronized boolean tryReserve(long bytes) {
		if (this.reserved + bytes > this.budget) {
			return false;
		}
		this.reserved += bytes;
		return true;
	}

	/** The first {@code length} bytes of {@code bytes}; {@code complete} if they are the whole segment. */
	record Buffer(byte[] bytes, int length, boolean complete) {
	}

}
