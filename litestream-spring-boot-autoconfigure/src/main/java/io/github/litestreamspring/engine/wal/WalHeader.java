package io.github.litestreamspring.engine.wal;

/**
 * The 32-byte header of a SQLite WAL file. All fields are stored big-endian.
 * <p>
 * SQLite writes a page size of 65536 literally (it fits in the 4-byte field); a stored value of
 * {@code 1}, the encoding used by the 2-byte field of the database header, is accepted as well.
 * {@link #pageSize()} is always the real page size.
 *
 * @param magic {@link #MAGIC_LITTLE_ENDIAN} or {@link #MAGIC_BIG_ENDIAN}
 * @param formatVersion always {@link #FORMAT_VERSION}
 * @param pageSize the database page size in bytes, 512 to 65536
 * @param checkpointSeq the checkpoint sequence number
 * @param salt1 first salt, copied into every frame of this WAL generation
 * @param salt2 second salt, copied into every frame of this WAL generation
 * @param checksum1 first checksum word over bytes 0-23
 * @param checksum2 second checksum word over bytes 0-23
 */
public record WalHeader(int magic, int formatVersion, int pageSize, int checkpointSeq, int salt1, int salt2,
		int checksum1, int checksum2) {

	/** Size of the header in bytes. */
	public static final int SIZE = 32;

	/** Magic of a WAL whose checksum words are read little-endian (what x86/ARM SQLite writes). */
	public static final int MAGIC_LITTLE_ENDIAN = 0x377F0682;

	/** Magic of a WAL whose checksum words are read big-endian. */
	public static final int MAGIC_BIG_ENDIAN = 0x377F0683;

	/** The only WAL format version SQLite has defined. */
	public static final int FORMAT_VERSION = 3007000;

	private static final int MAX_PAGE_SIZE = 65536;

	/**
	 * Parse and validate the header's fixed fields. The checksum is not verified here, see
	 * {@link #isChecksumValid()}.
	 * @param b the bytes holding the header
	 * @param off where the header starts
	 * @return the header
	 * @throws WalFormatException on a bad magic, format version or page size
	 */
	public static WalHeader parse(byte[] b, int off) throws WalFormatException {
		if (off < 0 || b.length - off < SIZE) {
			throw new WalFormatException("WAL header too short: " + Math.max(0, b.length - off) + " bytes");
		}
		int magic = WalChecksum.readIntBigEndian(b, off);
		if (magic != MAGIC_LITTLE_ENDIAN && magic != MAGIC_BIG_ENDIAN) {
			throw new WalFormatException("Bad WAL magic 0x" + Integer.toHexString(magic));
		}
		int version = WalChecksum.readIntBigEndian(b, off + 4);
		if (version != FORMAT_VERSION) {
			throw new WalFormatException("Unsupported WAL format version " + version);
		}
		int storedPageSize = WalChecksum.readIntBigEndian(b, off + 8);
		int pageSize = (storedPageSize == 1) ? MAX_PAGE_SIZE : storedPageSize;
		if (pageSize < 512 || pageSize > MAX_PAGE_SIZE || Integer.bitCount(pageSize) != 1) {
			throw new WalFormatException("Bad WAL page size " + storedPageSize);
		}
		WalHeader header = new WalHeader(magic, version, pageSize, WalChecksum.readIntBigEndian(b, off + 12),
				WalChecksum.readIntBigEndian(b, off + 16), WalChecksum.readIntBigEndian(b, off + 20),
				WalChecksum.readIntBigEndian(b, off + 24), WalChecksum.readIntBigEndian(b, off + 28));
		return header;
	}

	/** Whether checksum words are read big-endian, i.e. the magic is {@link #MAGIC_BIG_ENDIAN}. */
	public boolean bigEndianChecksums() {
		return this.magic == MAGIC_BIG_ENDIAN;
	}

	/**
	 * Whether the stored checksum matches bytes 0-23. A 65536-byte page size is tried in both of its
	 * encodings, because a record cannot remember which one was stored.
	 */
	public boolean isChecksumValid() {
		byte[] bytes = toBytes();
		if (computeChecksum(bytes) == checksum()) {
			return true;
		}
		if (this.pageSize == MAX_PAGE_SIZE) {
			WalChecksum.writeIntBigEndian(bytes, 8, 1);
			return computeChecksum(bytes) == checksum();
		}
		return false;
	}

	private long computeChecksum(byte[] bytes) {
		return WalChecksum.update(bigEndianChecksums(), 0, bytes, 0, 24);
	}

	/** The stored checksum, packed as described in {@link WalChecksum}. */
	public long checksum() {
		return WalChecksum.pack(this.checksum1, this.checksum2);
	}

	/** Size of one frame: a 24-byte frame header plus one page. */
	public int frameSize() {
		return WalFrameHeader.SIZE + this.pageSize;
	}

	/**
	 * Encode the header as SQLite does (a 65536-byte page size is written literally).
	 * @return 32 new bytes
	 */
	public byte[] toBytes() {
		byte[] b = new byte[SIZE];
		WalChecksum.writeIntBigEndian(b, 0, this.magic);
		WalChecksum.writeIntBigEndian(b, 4, this.formatVersion);
		WalChecksum.writeIntBigEndian(b, 8, this.pageSize);
		WalChecksum.writeIntBigEndian(b, 12, this.checkpointSeq);
		WalChecksum.writeIntBigEndian(b, 16, this.salt1);
		WalChecksum.writeIntBigEndian(b, 20, this.salt2);
		WalChecksum.writeIntBigEndian(b, 24, this.checksum1);
		WalChecksum.writeIntBigEndian(b, 28, this.checksum2);
		return b;
	}

}
