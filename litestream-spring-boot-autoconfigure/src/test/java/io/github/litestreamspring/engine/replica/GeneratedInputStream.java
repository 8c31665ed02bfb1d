package io.github.litestreamspring.engine.replica;

import java.io.InputStream;

/**
 * A deterministic pseudo-random byte stream of a given length that is never held in memory: large
 * objects can be streamed through a client and their checksum recomputed on the other side.
 */
public final class GeneratedInputStream extends InputStream {

	private final long size;

	private long position;

	private long state;

	public GeneratedInputStream(long size, long seed) {
		this.size = size;
		this.state = seed ^ 0x9E3779B97F4A7C15L;
	}

	@Override
	public int read() {
		byte[] one = new byte[1];
		return (read(one, 0, 1) < 0) ? -1 : (one[0] & 0xFF);
	}

	@Override
	public int read(byte[] b, int off, int len) {
		if (this.position >= this.size) {
			return -1;
		}
		int n = (int) Math.min(len, this.size - this.position);
		for (int i = 0; i < n; i++) {
			// xorshift64: fast and, unlike a counter, not compressible by accident.
			if ((this.position & 7) == 0) {
				this.state ^= this.state << 13;
				this.state ^= this.state >>> 7;
				this.state ^= this.state << 17;
			}
			b[off + i] = (byte) (this.state >>> ((this.position & 7) * 8));
			this.position++;
		}
		return n;
	}

	@Override
	public int available() {
		return (int) Math.min(Integer.MAX_VALUE, this.size - this.position);
	}

}
