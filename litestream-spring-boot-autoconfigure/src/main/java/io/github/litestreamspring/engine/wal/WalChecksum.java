package io.github.litestreamspring.engine.wal;

/**
 * The SQLite WAL checksum, as used by SQLite's {@code walChecksumBytes} and Litestream's
 * {@code Checksum}.
 * <p>
 * The two 32-bit running sums {@code s0} and {@code s1} are packed into one {@code long} as
 * {@code ((long) s0 << 32) | (s1 & 0xFFFFFFFFL)} so that a checksum can be passed around and stored
 * as a single value.
 */
public final class WalChecksum {

	private WalChecksum() {
	}

	/**
	 * Continue a checksum over {@code len} bytes.
	 * @param bigEndian whether the data words are read big-endian (WAL magic {@code 0x377F0683})
	 * or little-endian ({@code 0x377F0682})
	 * @param seed the packed checksum to continue from, {@code 0} to start afresh
	 * @param b the data
	 * @param off where the data starts
	 * @param len how many bytes to include, a multiple of 8
	 * @return the packed checksum after the data
	 */
	public static long update(boolean bigEndian, long seed, byte[] b, int off, int len) {
		if ((len & 7) != 0) {
			throw new IllegalArgumentException("Length must be a multiple of 8, got " + len);
		}
		if (off < 0 || len < 0 || off + len > b.length) {
			throw new IndexOutOfBoundsException("off=" + off + ", len=" + len + ", length=" + b.length);
		}
		int s0 = s0(seed);
		int s1 = s1(seed);
		int end = off + len;
		// Java int arithmetic wraps exactly like SQLite's u32 sums.
		if (bigEndian) {
			for (int i = off; i < end; i += 8) {
				s0 += readIntBigEndian(b, i) + s1;
				s1 += readIntBigEndian(b, i + 4) + s0;
			}
		}
		else {
			for (int i = off; i < end; i += 8) {
				s0 += readIntLittleEndian(b, i) + s1;
				s1 += readIntLittleEndian(b, i + 4) + s0;
			}
		}
		return pack(s0, s1);
	}

	public static long pack(int s0, int s1) {
		return ((long) s0 << 32) | (s1 & 0xFFFFFFFFL);
	}

	public static int s0(long checksum) {
		return (int) (checksum >>> 32);
	}

	public static int s1(long checksum) {
		return (int) checksum;
	}

	static int readIntBigEndian(byte[] b, int i) {
		return ((b[i] & 0xFF) << 24) | ((b[i + 1] & 0xFF) << 16) | ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
	}

	static int readIntLittleEndian(byte[] b, int i) {
		return (b[i] & 0xFF) | ((b[i + 1] & 0xFF) << 8) | ((b[i + 2] & 0xFF) << 16) | ((b[i + 3] & 0xFF) << 24);
	}

	static void writeIntBigEndian(byte[] b, int i, int value) {
		b[i] = (byte) (value >>> 24);
		b[i + 1] = (byte) (value >>> 16);
		b[i + 2] = (byte) (value >>> 8);
		b[i + 3] = (byte) value;
	}

}
