package io.github.litestreamspring.engine.wal;

/**
 * The 24-byte header in front of every page in a SQLite WAL file. All fields are big-endian.
 *
 * @param pageNumber the database page this frame holds, 1-based
 * @param commitSize the database size in pages after this commit, or {@code 0} for a frame that
 * is not the last of its transaction
 * @param salt1 must equal the WAL header's first salt
 * @param salt2 must equal the WAL header's second salt
 * @param checksum1 first word of the running checksum up to and including this frame
 * @param checksum2 second word of the running checksum up to and including this frame
 */
public record WalFrameHeader(int pageNumber, int commitSize, int salt1, int salt2, int checksum1,
		int checksum2) {

	/** Size of a frame header in bytes. */
	public static final int SIZE = 24;

	/**
	 * Parse a frame header. No validation is done: whether a frame belongs to the WAL is decided by
	 * its salt and checksum, see {@link WalReader}.
	 * @param b the bytes holding the frame header
	 * @param off where the frame header starts
	 * @return the frame header
	 */
	public static WalFrameHeader parse(byte[] b, int off) {
		return new WalFrameHeader(WalChecksum.readIntBigEndian(b, off), WalChecksum.readIntBigEndian(b, off + 4),
				WalChecksum.readIntBigEndian(b, off + 8), WalChecksum.readIntBigEndian(b, off + 12),
				WalChecksum.readIntBigEndian(b, off + 16), WalChecksum.readIntBigEndian(b, off + 20));
	}

	/** Whether this frame ends a transaction. */
	public boolean isCommit() {
		return this.commitSize != 0;
	}

	/** The stored running checksum, packed as described in {@link WalChecksum}. */
	public long checksum() {
		return WalChecksum.pack(this.checksum1, this.checksum2);
	}

	/** Whether this frame carries the given header's salts. */
	public boolean hasSaltOf(WalHeader header) {
		return this.salt1 == header.salt1() && this.salt2 == header.salt2();
	}

}
