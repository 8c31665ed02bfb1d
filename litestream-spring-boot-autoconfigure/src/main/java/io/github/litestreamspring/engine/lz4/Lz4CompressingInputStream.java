package io.github.litestreamspring.engine.lz4;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Reading from it yields the LZ4 frame of another stream, compressed on demand: a storage client can
 * pull a snapshot's compressed bytes at its own pace without a second thread, a pipe or a temporary
 * file. Memory is one LZ4 block plus one read chunk, whatever the source's size.
 */
public final class Lz4CompressingInputStream extends InputStream {

	private static final int CHUNK = 256 * 1024;

	private final InputStream source;

	private final Sink sink = new Sink();

	private final OutputStream compressor;

	private final byte[] chunk = new byte[CHUNK];

	private boolean finished;

	private long uncompressedBytes;

	public Lz4CompressingInputStream(InputStream source) throws IOException {
		this.source = source;
		this.compressor = Lz4Frames.compressingStream(this.sink);
	}

	/** Bytes read from the source so far. */
	public long uncompressedBytes() {
		return this.uncompressedBytes;
	}

	@Override
	public int read() throws IOException {
		byte[] one = new byte[1];
		int n = read(one, 0, 1);
		return (n < 0) ? -1 : (one[0] & 0xFF);
	}

	@Override
	public int read(byte[] b, int off, int len) throws IOException {
		if (len == 0) {
			return 0;
		}
		while (this.sink.available() == 0) {
			if (this.finished) {
				return -1;
			}
			fill();
		}
		return this.sink.drain(b, off, len);
	}

	private void fill() throws IOException {
		int n = this.source.read(this.chunk);
		if (n < 0) {
			this.compressor.close();
			this.finished = true;
		}
		else if (n > 0) {
			this.uncompressedBytes += n;
			this.compressor.write(this.chunk, 0, n);
		}
	}

	@Override
	public void close() throws IOException {
		this.source.close();
	}

	/** Collects compressed output and hands it out again; reset whenever it has been drained. */
	private static final class Sink extends ByteArrayOutputStream {

		private int readPos;

		int available() {
			return this.count - this.readPos;
		}

		int drain(byte[] b, int off, int len) {
			int n = Math.min(len, available());
			System.arraycopy(this.buf, this.readPos, b, off, n);
			this.readPos += n;
			if (this.readPos == this.count) {
				this.readPos = 0;
				this.count = 0;
			}
			return n;
		}

	}

}
