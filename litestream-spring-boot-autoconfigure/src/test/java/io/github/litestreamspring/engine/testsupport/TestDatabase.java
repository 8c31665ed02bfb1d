package io.github.litestreamspring.engine.testsupport;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * An application's view of a SQLite database in tests: one connection configured the way the starter
 * configures pooled connections (WAL, busy timeout, no auto-checkpoint), plus helpers to write
 * numbered rows and read them back.
 */
public final class TestDatabase implements AutoCloseable {

	private final Path path;

	private final Connection connection;

	public TestDatabase(Path path) throws SQLException {
		this.path = path;
		this.connection = open(path);
		try (Statement st = this.connection.createStatement()) {
			st.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, batch INTEGER, payload TEXT)");
		}
	}

	public static Connection open(Path path) throws SQLException {
		Connection c = DriverManager.getConnection("jdbc:sqlite:" + path);
		try (Statement st = c.createStatement()) {
			st.execute("PRAGMA busy_timeout = 5000");
			st.execute("PRAGMA journal_mode = wal");
			st.execute("PRAGMA wal_autocheckpoint = 0");
		}
		return c;
	}

	public Path path() {
		return this.path;
	}

	public Connection connection() {
		return this.connection;
	}

	/** Inserts {@code rows} rows of batch {@code batch} in one transaction; returns the last id. */
	public long insertBatch(int batch, int rows, int payloadBytes) throws SQLException {
		this.connection.setAutoCommit(false);
		try (PreparedStatement ps = this.connection
			.prepareStatement("INSERT INTO t (batch, payload) VALUES (?, ?)")) {
			String payload = "x".repeat(Math.max(0, payloadBytes - 8));
			for (int i = 0; i < rows; i++) {
				ps.setInt(1, batch);
				ps.setString(2, String.format("%08d", i) + payload);
				ps.addBatch();
			}
			ps.executeBatch();
			this.connection.commit();
		}
		finally {
			this.connection.setAutoCommit(true);
		}
		return count();
	}

	/** One auto-committed row: a transaction as small as a busy application's. */
	public void insertOne(int batch, int payloadBytes) throws SQLException {
		try (PreparedStatement ps = this.connection.prepareStatement("INSERT INTO t (batch, payload) VALUES (?, ?)")) {
			ps.setInt(1, batch);
			ps.setString(2, "x".repeat(payloadBytes));
			ps.executeUpdate();
		}
	}

	public long count() throws SQLException {
		return count(this.connection);
	}

	public static long count(Connection c) throws SQLException {
		try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM t")) {
			rs.next();
			return rs.getLong(1);
		}
	}

	/** Every row as "id:batch:payload-hash", ordered by id: equal lists mean equal tables. */
	public static List<String> rows(Path database) throws SQLException {
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database);
				Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("SELECT id, batch, payload FROM t ORDER BY id")) {
			List<String> rows = new ArrayList<>();
			while (rs.next()) {
				rows.add(rs.getLong(1) + ":" + rs.getInt(2) + ":" + rs.getString(3).hashCode());
			}
			return rows;
		}
	}

	public List<String> rows() throws SQLException {
		try (Statement st = this.connection.createStatement();
				ResultSet rs = st.executeQuery("SELECT id, batch, payload FROM t ORDER BY id")) {
			List<String> rows = new ArrayList<>();
			while (rs.next()) {
				rows.add(rs.getLong(1) + ":" + rs.getInt(2) + ":" + rs.getString(3).hashCode());
			}
			return rows;
		}
	}

	public static String integrityCheck(Path database) throws SQLException {
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database);
				Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("PRAGMA integrity_check")) {
			rs.next();
			return rs.getString(1);
		}
	}

	@Override
	public void close() throws SQLException {
		this.connection.close();
	}

}
