package io.github.litestreamspring.engine.db;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;

import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.engine.wal.WalHeader;

/**
 * A real SQLite database in WAL mode on a temp dir (its WAL kept by the open test connection) and the
 * engine's local state beside it, for tests that build the local side's parts directly.
 */
final class WalFixture implements AutoCloseable {

	static final String GENERATION = "0123456789abcdef";

	final Path db;

	final TestDatabase app;

	final LocalState state;

	final DatabaseOptions options;

	WalFixture(Path dir) throws SQLException {
		this.db = dir.resolve("app.db");
		this.app = new TestDatabase(this.db);
		try (Statement st = this.app.connection().createStatement()) {
			// Litestream's helper tables, as Database.open creates them.
			st.execute("CREATE TABLE IF NOT EXISTS _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)");
			st.execute("CREATE TABLE IF NOT EXISTS _litestream_lock (id INTEGER)");
		}
		this.options = DatabaseOptions.defaults(this.db);
		this.state = new LocalState(this.options.metaPath());
	}

	Path wal() {
		return this.options.walPath();
	}

	byte[] walBytes() throws IOException {
		return Files.readAllBytes(wal());
	}

	int pageSize() throws IOException {
		return WalHeader.parse(walBytes(), 0).pageSize();
	}

	/** Records {@link #GENERATION} and writes {@code bytes} as its shadow WAL index {@code index}. */
	Path shadow(long index, byte[] bytes) throws IOException {
		this.state.writeGeneration(GENERATION);
		Path shadow = this.state.shadowWal(GENERATION, index);
		Files.createDirectories(shadow.getParent());
		Files.write(shadow, bytes);
		return shadow;
	}

	/** {@code header} with salt-1 moved by {@code delta} (the checksum is not recomputed). */
	static byte[] withSalt1(byte[] wal, int delta) {
		byte[] copy = Arrays.copyOf(wal, wal.length);
		ByteBuffer buf = ByteBuffer.wrap(copy);
		buf.putInt(16, buf.getInt(16) + delta);
		return copy;
	}

	@Override
	public void close() throws SQLException {
		this.app.close();
	}

}
