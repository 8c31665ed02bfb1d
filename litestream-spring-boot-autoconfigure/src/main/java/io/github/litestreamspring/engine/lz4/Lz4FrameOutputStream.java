package io.github.litestreamspring.engine.lz4;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.xxhash.StreamingXXHash32;

/**
 * Writes one LZ4 frame with Litestream's header (4 MiB independent blocks, content checksum). The
 * bytes are those of lz4-java's {@code LZ4FrameOutputStream} with the same settings (a test compares
 * them), but the block buffers grow with the data instead of being allocated at 4 MiB each: a WAL
 * segment of one commit is a few KiB, and low-latency shipping writes many of them a second, so
 * 8 MiB of buffers per segment would be an allocation storm.
 */
final class Lz4FrameOutputStream extends OutputStream {

	static final int MAX_BLOCK = 4 * 1024 * 1024;

	private static final int FIRST_BUFFER = 16 * 1024;

	private static final int INCOMPRESSIBLE = 0x80000000;

	private final OutputStream out;

	private final LZ4Compressor compressor;

	private final StreamingXXHash32 contentHash;

	private byte[] block = new byte[0];

	private int blockLength;

	private byte[] compressed = new byte[0];

	private final byte[] intLE = new byte[4];

	private boolean closed;

	Lz4FrameOutputStream(OutputStream out, LZ4Compressor compressor, StreamingXXHash32 contentHash) throws IOException {
		this.out = out;
		this.compressor = compressor;
		this.contentHash = contentHash;
		out.write(Lz4Frames.LITESTREAM_HEADER);
	}

	@Override
	public void write(int b) throws IOException {
		write(new byte[] { (byte) b }, 0, 1);
	}

	@Override
	public void write(byte[] b, int off, int len) throws IOException {
		ensureOpen();
		// As lz4-java: a full block is written when more data arrives, or at flush/close.
		while (len > MAX_BLOCK - this.blockLength) {
			int n = MAX_BLOCK - this.blockLength;
			append(b, off, n);
			off += n;
			len -= n;
			writeBlock();
		}
		append(b, off, len);
	}

	@Override
	public void flush() throws IOException {
		ensureOpen();
		writeBlock();
		this.out.flush();
	}

	@Override
	public void close() throws IOException {
		if (this.closed) {
			return;
		}
		try {
			writeBlock();
			writeIntLE(0);
			writeIntLE(this.contentHash.getValue());
			this.out.flush();
		}
		finally {
			this.closed = true;
			this.contentHash.close();
			this.out.close();
		}
	}

	private void append(byte[] b, int off, int len) {
		int needed = this.blockLength + len;
		if (needed > this.block.length) {
			int size = Math.max(FIRST_BUFFER, this.block.length);
			while (size < needed) {
				size *= 2;
			}
			this.block = Arrays.copyOf(this.block, Math.min(size, MAX_BLOCK));
		}
		System.arraycopy(b, off, this.block, this.blockLength, len);
		this.blockLength += len;
	}

	private void writeBlock() throws IOException {
		int n = this.blockLength;
		if (n == 0) {
			return;
		}
		this.contentHash.update(this.block, 0, n);
		int max = this.compressor.maxCompressedLength(n);
		if (this.compressed.length < max) {
			this.compressed = new byte[max];
		}
		int length = this.compressor.compress(this.block, 0, n, this.compressed, 0, max);
		if (length >= n) {
			// Incompressible: stored as is, flagged in the size word's high bit.
			writeIntLE(n | INCOMPRESSIBLE);
			this.out.write(this.block, 0, n);
		}
		else {
			writeIntLE(length);
			this.out.write(this.compressed, 0, length);
		}
		this.blockLength = 0;
	}

	private void writeIntLE(int v) throws IOException {
		this.intLE[0] = (byte) v;
		this.intLE[1] = (byte) (v >>> 8);
		this.intLE[2] = (byte) (v >>> 16);
		this.intLE[3] = (byte) (v >>> 24);
		this.out.write(this.intLE);
	}

	private void ensureOpen() throws IOException {
		if (this.closed) {
			throw new IOException("LZ4 frame already closed");
		}
	}

}
