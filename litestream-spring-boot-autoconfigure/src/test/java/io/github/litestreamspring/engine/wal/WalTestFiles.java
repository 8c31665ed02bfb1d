package io.github.litestreamspring.engine.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;

/**
 * Real SQLite WAL files for tests, written by sqlite-jdbc, and byte surgery on them.
 */
final class WalTestFiles {

	private WalTestFiles() {
	}

	/**
	 * Open a new database in WAL mode with automatic checkpoints off, and create table {@code t}.
	 * Keep the connection open while reading the {@code -wal}: closing the last connection
	 * checkpoints and deletes it.
	 */
	static Connection openWalDatabase(Path db, int pageSize) throws SQLException {
		Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
		try (Statement statement = connection.createStatement()) {
			statement.execute("PRAGMA page_size=" + pageSize);
			statement.execute("PRAGMA journal_mode=WAL");
			statement.execute("PRAGMA wal_autocheckpoint=0");
			statement.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)");
		}
		return connection;
	}

	/** Insert {@code rows} rows of random {@code payloadSize}-byte blobs in one transaction. */
	static void insertTransaction(Connection connection, int rows, int payloadSize, long seed) throws SQLException {
		Random random = new Random(seed);
		connection.setAutoCommit(false);
		try (PreparedStatement insert = connection.prepareStatement("INSERT INTO t (payload) VALUES (?)")) {
			for (int i = 0; i < rows; i++) {
				byte[] payload = new byte[payloadSize];
				random.nextBytes(payload);
				insert.setBytes(1, payload);
				insert.executeUpdate();
			}
			connection.commit();
		}
		finally {
			connection.setAutoCommit(true);
		}
	}

	static long countRows(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement();
				var rs = statement.executeQuery("SELECT count(*) FROM t")) {
			rs.next();
			return rs.getLong(1);
		}
	}

	static String integrityCheck(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement();
				var rs = statement.executeQuery("PRAGMA integrity_check")) {
			rs.next();
			return rs.getString(1);
		}
	}

	static Path walOf(Path db) {
		return db.resolveSibling(db.getFileName() + "-wal");
	}

	static void flipByte(Path file, long offset) throws IOException {
		byte[] bytes = Files.readAllBytes(file);
		bytes[Math.toIntExact(offset)] ^= 0x5A;
		Files.write(file, bytes);
	}

	static void writeInt(Path file, long offset, int value) throws IOException {
		byte[] bytes = Files.readAllBytes(file);
		WalChecksum.writeIntBigEndian(bytes, Math.toIntExact(offset), value);
		Files.write(file, bytes);
	}

	static void truncate(Path file, long size) throws IOException {
		try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
			channel.truncate(size);
		}
	}

	/**
	 * Rewrite a WAL to the big-endian checksum variant (magic {@code 0x377F0683}): the header
	 * checksum and every frame's running checksum are recomputed with big-endian words. Assumes all
	 * complete frames of the input are valid.
	 */
	static byte[] toBigEndianChecksums(byte[] wal) throws IOException {
		byte[] out = wal.clone();
		WalHeader header = WalHeader.parse(out, 0);
		WalChecksum.writeIntBigEndian(out, 0, WalHeader.MAGIC_BIG_ENDIAN);
		long checksum = WalChecksum.update(true, 0, out, 0, 24);
		writeChecksum(out, 24, checksum);
		int frameSize = header.frameSize();
		for (int off = WalHeader.SIZE; off + frameSize <= out.length; off += frameSize) {
			checksum = WalChecksum.update(true, checksum, out, off, 8);
			checksum = WalChecksum.update(true, checksum, out, off + WalFrameHeader.SIZE, header.pageSize());
			writeChecksum(out, off + 16, checksum);
		}
		return out;
	}

	private static void writeChecksum(byte[] b, int off, long checksum) {
		WalChecksum.writeIntBigEndian(b, off, WalChecksum.s0(checksum));
		WalChecksum.writeIntBigEndian(b, off + 4, WalChecksum.s1(checksum));
	}

}
