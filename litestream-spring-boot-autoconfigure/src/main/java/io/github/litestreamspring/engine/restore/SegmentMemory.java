package io.github.litestreamspring.engine.restore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
 * It also bounds the memory of the downloads themselves ({@link #startDownload}): each decodes through
 * its stored LZ4 block and an output buffer of a few times that (up to 4 MiB each), which for segments
 * of several hundred KiB is more than the segment; eight such downloads at once took ~36 MiB and a
 * restore in a 64 MiB heap ran out of memory. Downloads reserve their estimated working memory from
 * {@code downloadBudget} and wait for it; a segment of a few KiB reserves a few tens of KiB, so the
 * many-small-segments restores keep their full parallelism.
 */
final class SegmentMemory {

	/** The smallest first buffer: most segments of a low-latency replica decode to a few KiB. */
	private static final int MIN_FIRST_BUFFER = 8 * 1024;

	/** The largest LZ4 block Litestream (or any frame we read) declares. */
	private static final int MAX_BLOCK = 4 * 1024 * 1024;

	/** The smallest output buffer the decoder tries (Lz4FrameInputStream). */
	private static final int MIN_DECODE_BUFFER = 16 * 1024;

	private final int perSegmentLimit;

	private final long budget;

	/** Download working memory, in KiB permits. */
	private final Semaphore downloadKib;

	private final int downloadBudgetKib;

	private long reserved;

	SegmentMemory(int perSegmentLimit, long budget, long downloadBudget) {
		this.perSegmentLimit = perSegmentLimit;
		this.budget = budget;
		this.downloadBudgetKib = (int) (downloadBudget / 1024);
		this.downloadKib = new Semaphore(this.downloadBudgetKib, true);
	}

	/**
	 * Waits until the download of an object of {@code compressedSize} bytes fits the download budget and
	 * reserves it; {@link Download#close} returns it.
	 */
	Download startDownload(long compressedSize) throws IOException {
		int kib = (int) Math.min(this.downloadBudgetKib, (workingMemory(compressedSize) + 1023) / 1024);
		try {
			this.downloadKib.acquire(kib);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException("restore interrupted", ex);
		}
		return () -> this.downloadKib.release(kib);
	}

	/**
	 * What decoding an object of {@code compressedSize} bytes allocates: its largest stored block and
	 * the decoder's first output buffer for it, four times the block (the decoder's guess, which
	 * avoids retries on WAL pages that compress well).
	 */
	static long workingMemory(long compressedSize) {
		long block = Math.min(MAX_BLOCK, compressedSize);
		return block + Math.min(MAX_BLOCK, Math.max(MIN_DECODE_BUFFER, 4 * block));
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
				if (bytes.length == this.perSegmentLimit) {
					// Full at the limit: one more byte says whether the segment is larger. (A buffer of
					// limit + 1 bytes would take two G1 regions in a small heap instead of one.)
					int next = in.read();
					return (next < 0) ? new Buffer(bytes, length, true, -1) : new Buffer(bytes, length, false, next);
				}
				long wanted = (bytes.length == 0) ? Math.max(MIN_FIRST_BUFFER, 4 * compressedSize) : 2L * bytes.length;
				int grown = (int) Math.min(this.perSegmentLimit, wanted);
				if (!tryReserve(grown - bytes.length)) {
					return new Buffer(bytes, length, false, -1);
				}
				bytes = Arrays.copyOf(bytes, grown);
			}
			int n = in.read(bytes, length, bytes.length - length);
			if (n < 0) {
				return new Buffer(bytes, length, true, -1);
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

	/** A download's reservation of working memory. */
	interface Download extends AutoCloseable {

		@Override
		void close();

	}

	/**
	 * The first {@code length} bytes of {@code bytes}; {@code complete} if they are the whole segment.
	 * If not, {@code next} is the byte read after them to find out, or {@code -1} if none was read.
	 */
	record Buffer(byte[] bytes, int length, boolean complete, int next) {

		/** Writes the bytes read, {@link #next} included. */
		void writeTo(OutputStream out) throws IOException {
			out.write(this.bytes, 0, this.length);
			if (this.next >= 0) {
				out.write(this.next);
			}
		}

	}

}
