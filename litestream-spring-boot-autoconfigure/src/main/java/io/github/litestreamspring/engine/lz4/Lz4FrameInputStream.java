package io.github.litestreamspring.engine.lz4;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.xxhash.StreamingXXHash32;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * Streaming decoder for one LZ4 frame, as written by Litestream v0.3 (pierrec/lz4) and by
 * lz4-java.
 * <p>
 * It exists because lz4-java's {@code LZ4FrameInputStream} mis-reads one thing Litestream writes: a
 * block whose size word has the "uncompressed" bit set and a size of 0 ({@code 00 00 00 80}), which
 * Litestream emits before the end mark of every snapshot whose size is a multiple of 4 MiB. That is
 * an empty block, not the end mark.
 * <p>
 * Supported: skippable frames before the frame, block maximum sizes 64 KiB to 4 MiB, independent
 * blocks, optional content size, content checksum and block checksums (all verified). Linked
 * blocks and dictionary IDs are rejected: Litestream writes neither. Reading stops after the
 * frame's checksum; trailing bytes stay unread.
 * <p>
 * Memory use is two buffers of at most the frame's block maximum size, but sized to the blocks
 * actually read: Litestream declares 4 MiB blocks even for a WAL segment of a few hundred bytes, and
 * allocating (and zeroing) 8 MiB per such object made a restore of thousands of small segments spend
 * most of its CPU in allocation and garbage collection. A compressed block's decoded size is not
 * stored, so it is read from the block's sequence headers ({@link Lz4BlockLength}) before decoding: the
 * output buffer is exactly as large as needed. (A guess of four times the stored size, doubled when too
 * small, held 3 MiB for a segment of 800 KiB that decodes to 900 KiB; in a small heap such buffers,
 * each spanning several G1 regions, ran a restore out of memory.)
 */
final class Lz4FrameInputStream extends InputStream {

	private static final int MAGIC = 0x184D2204;

	private static final int SKIPPABLE_MAGIC_MASK = 0xFFFFFFF0;

	private static final int SKIPPABLE_MAGIC = 0x184D2A50;

	private static final int UNCOMPRESSED_BIT = 0x80000000;

	private final InputStream in;

	private final LZ4SafeDecompressor decompressor;

	private final XXHash32 hash;

	private final StreamingXXHash32 contentHash;

	private final byte[] word = new byte[8];

	private boolean headerRead;

	private boolean blockChecksums;

	private boolean contentChecksum;

	private long contentSize = -1;

	private long decodedSize;

	private int blockMaxSize;

	private byte[] compressed = new byte[0];

	private byte[] decompressed = new byte[0];

	/** The bytes being handed out: either {@link #decompressed} or, for a raw block, {@link #compressed}. */
	private byte[] current;

	private int position;

	private int limit;

	private boolean finished;

	private boolean closed;

	Lz4FrameInputStream(InputStream in, LZ4SafeDecompressor decompressor, XXHashFactory hashes) {
		this.in = in;
		this.decompressor = decompressor;
		this.hash = hashes.hash32();
		this.contentHash = hashes.newStreamingHash32(0);
	}

	@Override
	public int read() throws IOException {
		ensureOpen();
		while (this.position == this.limit) {
			if (this.finished || !nextBlock()) {
				return -1;
			}
		}
		return this.current[this.position++] & 0xFF;
	}

	@Override
	public int read(byte[] b, int off, int len) throws IOException {
		Objects.checkFromIndexSize(off, len, b.length);
		ensureOpen();
		if (len == 0) {
			return 0;
		}
		while (this.position == this.limit) {
			if (this.finished || !nextBlock()) {
				return -1;
			}
		}
		int n = Math.min(len, this.limit - this.position);
		System.arraycopy(this.current, this.position, b, off, n);
		this.position += n;
		return n;
	}

	@Override
	public int available() throws IOException {
		ensureOpen();
		return this.limit - this.position;
	}

	@Override
	public void close() throws IOException {
		if (!this.closed) {
			this.closed = true;
			this.contentHash.close();
			this.in.close();
		}
	}

	private void ensureOpen() throws IOException {
		if (this.closed) {
			throw new IOException("Stream closed");
		}
	}

	/**
	 * Decode the next block into {@link #current}. An empty block leaves it empty.
	 * @return {@code false} once the end mark and trailer have been read and verified
	 */
	private boolean nextBlock() throws IOException {
		if (!this.headerRead) {
			readHeader();
			this.headerRead = true;
		}
		int sizeWord = readIntLittleEndian();
		if (sizeWord == 0) {
			readTrailer();
			this.finished = true;
			return false;
		}
		boolean uncompressed = (sizeWord & UNCOMPRESSED_BIT) != 0;
		int size = sizeWord & ~UNCOMPRESSED_BIT;
		if (size > this.blockMaxSize) {
			throw new Lz4FormatException("corrupt LZ4 block: size " + size + " exceeds the frame's maximum of "
					+ this.blockMaxSize);
		}
		if (size > this.compressed.length) {
			this.compressed = new byte[size];
		}
		// size == 0 here means an uncompressed empty block (00 00 00 80): nothing to decode.
		readFully(this.compressed, size);
		int blockChecksum = this.blockChecksums ? readIntLittleEndian() : 0;
		if (uncompressed) {
			this.current = this.compressed;
			this.limit = size;
		}
		else {
			this.limit = decompress(size);
			// (after decoding: it may have replaced the buffer with a larger one)
			this.current = this.decompressed;
		}
		this.position = 0;
		if (this.blockChecksums) {
			verifyBlockChecksum(blockChecksum, size);
		}
		if (this.limit > 0) {
			// (lz4-java's range check rejects offset 0 of an empty array, as held before any block)
			this.contentHash.update(this.current, 0, this.limit);
		}
		this.decodedSize += this.limit;
		return true;
	}

	/**
	 * Decodes {@code size} stored bytes into {@link #decompressed}, grown to the block's decoded length
	 * if it is smaller.
	 */
	private int decompress(int size) throws Lz4FormatException {
		int length = Lz4BlockLength.of(this.compressed, size, this.blockMaxSize);
		if (length < 0) {
			throw new Lz4FormatException("corrupt LZ4 block: its sequences do not end within its " + size
					+ " stored bytes and the frame's block maximum of " + this.blockMaxSize);
		}
		if (length > this.decompressed.length) {
			this.decompressed = new byte[length];
		}
		int decoded;
		try {
			decoded = this.decompressor.decompress(this.compressed, 0, size, this.decompressed, 0, length);
		}
		catch (LZ4Exception ex) {
			// The sequences say the block fits; a decoder that wants room past the exact end (the
			// format's end-of-block rules, which not every encoder may follow) gets the block maximum
			// once. Only a failure with that much room proves the block corrupt.
			decoded = decompressWithMaximumRoom(size, ex);
		}
		if (decoded != length) {
			throw new Lz4FormatException("corrupt LZ4 block: decoded " + decoded + " bytes, its sequences say "
					+ length);
		}
		return length;
	}

	private int decompressWithMaximumRoom(int size, LZ4Exception first) throws Lz4FormatException {
		if (this.decompressed.length >= this.blockMaxSize) {
			throw new Lz4FormatException("corrupt LZ4 block: " + first.getMessage(), first);
		}
		this.decompressed = new byte[this.blockMaxSize];
		try {
			return this.decompressor.decompress(this.compressed, 0, size, this.decompressed, 0, this.blockMaxSize);
		}
		catch (LZ4Exception ex) {
			throw new Lz4FormatException("corrupt LZ4 block: " + ex.getMessage(), ex);
		}
	}


	private void verifyBlockChecksum(int expected, int storedSize) throws Lz4FormatException {
		// The frame spec (and lz4-java, the lz4 CLI) hash the stored bytes; pierrec/lz4 v4 hashes the
		// decoded bytes. Accept either so that both writers' frames can be read.
		if (this.hash.hash(this.compressed, 0, storedSize, 0) != expected
				&& this.hash.hash(this.current, 0, this.limit, 0) != expected) {
			throw new Lz4FormatException("LZ4 block checksum mismatch");
		}
	}

	private void readHeader() throws IOException {
		int magic = readMagic();
		while ((magic & SKIPPABLE_MAGIC_MASK) == SKIPPABLE_MAGIC) {
			skipFully(readIntLittleEndian() & 0xFFFFFFFFL);
			magic = readMagic();
		}
		if (magic != MAGIC) {
			throw new Lz4FormatException(String.format("not an LZ4 frame (bad magic 0x%08X)", magic));
		}
		byte[] descriptor = new byte[10];
		readFully(descriptor, 2);
		int flg = descriptor[0] & 0xFF;
		int bd = descriptor[1] & 0xFF;
		if ((flg >>> 6) != 1) {
			throw new Lz4FormatException("unsupported LZ4 frame version " + (flg >>> 6));
		}
		if ((flg & 0x02) != 0 || (bd & 0x8F) != 0) {
			throw new Lz4FormatException("corrupt LZ4 frame header: reserved bits set");
		}
		if ((flg & 0x01) != 0) {
			throw new Lz4FormatException("LZ4 dictionary IDs are not supported");
		}
		if ((flg & 0x20) == 0) {
			throw new Lz4FormatException("linked LZ4 blocks are not supported (Litestream writes independent blocks)");
		}
		int blockSizeIndex = bd >>> 4;
		if (blockSizeIndex < 4) {
			throw new Lz4FormatException("corrupt LZ4 frame header: block size index " + blockSizeIndex);
		}
		this.blockChecksums = (flg & 0x10) != 0;
		this.contentChecksum = (flg & 0x04) != 0;
		int descriptorLength = 2;
		if ((flg & 0x08) != 0) {
			readFully(this.word, 8);
			System.arraycopy(this.word, 0, descriptor, 2, 8);
			this.contentSize = longLittleEndian(this.word);
			descriptorLength = 10;
		}
		int headerChecksum = readByte();
		if (headerChecksum != ((this.hash.hash(descriptor, 0, descriptorLength, 0) >>> 8) & 0xFF)) {
			throw new Lz4FormatException("LZ4 header checksum mismatch");
		}
		this.blockMaxSize = 1 << (2 * blockSizeIndex + 8);
	}

	private void readTrailer() throws IOException {
		if (this.contentChecksum) {
			int expected = readIntLittleEndian();
			if (expected != this.contentHash.getValue()) {
				throw new Lz4FormatException("LZ4 content checksum mismatch");
			}
		}
		if (this.contentSize >= 0 && this.contentSize != this.decodedSize) {
			throw new Lz4FormatException(
					"LZ4 content size mismatch: header says " + this.contentSize + ", decoded " + this.decodedSize);
		}
	}

	private int readMagic() throws IOException {
		int n = readUpTo(this.word, 4);
		if (n == 0 && !this.headerRead) {
			throw new Lz4FormatException("truncated LZ4 frame: empty input");
		}
		if (n < 4) {
			throw new Lz4FormatException("truncated LZ4 frame");
		}
		return intLittleEndian(this.word);
	}

	private int readIntLittleEndian() throws IOException {
		readFully(this.word, 4);
		return intLittleEndian(this.word);
	}

	private int readByte() throws IOException {
		int b = this.in.read();
		if (b < 0) {
			throw new Lz4FormatException("truncated LZ4 frame");
		}
		return b;
	}

	private void readFully(byte[] b, int len) throws IOException {
		if (readUpTo(b, len) < len) {
			throw new Lz4FormatException("truncated LZ4 frame");
		}
	}

	private int readUpTo(byte[] b, int len) throws IOException {
		int total = 0;
		while (total < len) {
			int n = this.in.read(b, total, len - total);
			if (n < 0) {
				break;
			}
			total += n;
		}
		return total;
	}

	private void skipFully(long n) throws IOException {
		try {
			this.in.skipNBytes(n);
		}
		catch (EOFException ex) {
			throw new Lz4FormatException("truncated LZ4 frame", ex);
		}
	}

	private static int intLittleEndian(byte[] b) {
		return (b[0] & 0xFF) | ((b[1] & 0xFF) << 8) | ((b[2] & 0xFF) << 16) | ((b[3] & 0xFF) << 24);
	}

	private static long longLittleEndian(byte[] b) {
		long low = intLittleEndian(b) & 0xFFFFFFFFL;
		long high = ((b[4] & 0xFF) | ((b[5] & 0xFF) << 8) | ((b[6] & 0xFF) << 16) | ((b[7] & 0xFF) << 24)) & 0xFFFFFFFFL;
		return (high << 32) | low;
	}

}
