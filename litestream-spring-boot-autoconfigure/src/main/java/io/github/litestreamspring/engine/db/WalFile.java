package io.github.litestreamspring.engine.db;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;

import io.github.litestreamspring.engine.wal.WalFiles;
import io.github.litestreamspring.engine.wal.WalFrameHeader;
import io.github.litestreamspring.engine.wal.WalHeader;

/**
 * The real {@code -wal} of one database as the local side sees it: the database and WAL paths, the
 * page size (known once {@link Database#open()} has read it) and the one write that gives the WAL a
 * header when it has none. {@link ShadowWal}, {@link Checkpointer} and {@link CleanClose} need only
 * this of the database.
 */
final class WalFile {

	private final Path databasePath;

	private final Path walPath;

	private final DatabaseConnections connections;

	private volatile int pageSize;

	WalFile(Path databasePath, Path walPath, DatabaseConnections connections) {
		this.databasePath = databasePath;
		this.walPath = walPath;
		this.connections = connections;
	}

	Path databasePath() {
		return this.databasePath;
	}

	Path walPath() {
		return this.walPath;
	}

	int pageSize() {
		return this.pageSize;
	}

	/** Set by {@link Database#open()} from {@code PRAGMA page_size}. */
	void setPageSize(int pageSize) {
		this.pageSize = pageSize;
	}

	/** The size of one frame: its header and a page. */
	int frameSize() {
		return WalFrameHeader.SIZE + this.pageSize;
	}

	/** The size of a WAL holding {@code n} frames: the header and {@code n} frames. */
	long sizeOfFrames(long n) {
		return WalHeader.SIZE + n * frameSize();
	}

	/** The size of the whole frames in the real WAL (0 without a header or without the file). */
	long alignedSize() throws IOException {
		return WalFiles.alignedSize(size(), this.pageSize);
	}

	/** The real WAL's size in bytes, 0 if it does not exist. */
	long size() throws IOException {
		try {
			return Files.size(this.walPath);
		}
		catch (NoSuchFileException ex) {
			return 0;
		}
	}

	/**
	 * Commits a write to {@code _litestream_seq} if the real WAL has no header yet, so that one exists
	 * (a shadow index starts from it).
	 */
	void ensureWalExists() throws SQLException, IOException {
		if (size() >= WalHeader.SIZE) {
			return;
		}
		try (Statement st = this.connections.write().createStatement()) {
			st.execute("INSERT INTO _litestream_seq (id, seq) VALUES (1, 1) "
					+ "ON CONFLICT (id) DO UPDATE SET seq = seq + 1");
		}
	}

}
