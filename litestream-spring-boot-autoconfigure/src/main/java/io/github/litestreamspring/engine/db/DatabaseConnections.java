package io.github.litestreamspring.engine.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.BusyHandler;

/**
 * The engine's three connections to one database and the read lock held on them (Litestream's
 * {@code db} and {@code rtx}): a write connection, for the engine's own transactions and checkpoints,
 * and two read connections, one of which holds the long-lived read transaction on
 * {@code _litestream_seq} while the other waits as the spare that {@link #refreshReadLock()} hands
 * the read lock to. Not thread-safe: {@link Database} calls it under its lock.
 */
final class DatabaseConnections {

	/** Under Database's name, as before this class was split from it: the log category is unchanged. */
	private static final Logger logger = LoggerFactory.getLogger(Database.class);

	private final DatabaseOptions options;

	private Connection readConnection;

	/** The other read connection: {@link #refreshReadLock()} begins on it before ending the current one. */
	private Connection spareReadConnection;

	private Connection writeConnection;

	private boolean readLocked;

	DatabaseConnections(DatabaseOptions options) {
		this.options = options;
	}

	/** Opens the write connection and the two read connections; takes no lock. */
	void open() throws SQLException {
		this.writeConnection = connect();
		// The write lock is what checkpoints need; do not let a tight writer loop starve us of it.
		BusyHandler.setHandler(this.writeConnection, new EagerBusyHandler(this.options.busyTimeout()));
		this.readConnection = connect();
		this.spareReadConnection = connect();
	}

	/** The write connection: the engine's own writes, {@code BEGIN IMMEDIATE} and checkpoints. */
	Connection write() {
		return this.writeConnection;
	}

	/** The read connection that does not hold the read lock (no transaction open on it). */
	Connection spare() {
		return this.spareReadConnection;
	}

	/** The read connection that holds the read lock (or held it last, after {@link #releaseReadLock()}). */
	Connection read() {
		return this.readConnection;
	}

	private Connection connect() throws SQLException {
		Properties props = new Properties();
		props.setProperty("busy_timeout", Long.toString(this.options.busyTimeout().toMillis()));
		Connection c = DriverManager.getConnection("jdbc:sqlite:" + this.options.path(), props);
		try (Statement st = c.createStatement()) {
			st.execute("PRAGMA busy_timeout = " + this.options.busyTimeout().toMillis());
			// The engine's own commits (to _litestream_seq) need no fsync of their own; checkpoints still
			// sync the WAL before and the database file after back-filling, as with FULL.
			st.execute("PRAGMA synchronous = NORMAL");
			// Our own connections never checkpoint on commit; checkpoints are decided by the Checkpointer.
			st.execute("PRAGMA wal_autocheckpoint = 0");
		}
		return c;
	}

	void acquireReadLock() throws SQLException {
		if (this.readLocked) {
			return;
		}
		try (Statement st = this.readConnection.createStatement()) {
			st.execute("BEGIN");
			try (ResultSet rs = st.executeQuery("SELECT COUNT(1) FROM _litestream_seq")) {
				rs.next();
			}
		}
		this.readLocked = true;
	}

	/**
	 * Moves the read lock's mark to the WAL's end without a moment of no read lock: a read transaction
	 * begins on the spare connection before the current one ends. A checkpointer of another connection
	 * or process waiting to RESTART or TRUNCATE the WAL thus never finds the engine without a reader,
	 * outside the engine's own checkpoint under the write lock.
	 */
	void refreshReadLock() throws SQLException {
		if (!this.readLocked) {
			acquireReadLock();
			return;
		}
		Connection previous = this.readConnection;
		this.readConnection = this.spareReadConnection;
		this.spareReadConnection = previous;
		this.readLocked = false;
		try {
			acquireReadLock();
		}
		finally {
			try (Statement st = previous.createStatement()) {
				st.execute("ROLLBACK");
			}
		}
	}

	void releaseReadLock() throws SQLException {
		if (!this.readLocked) {
			return;
		}
		try (Statement st = this.readConnection.createStatement()) {
			st.execute("ROLLBACK");
		}
		this.readLocked = false;
	}

	void beginImmediate() throws SQLException {
		try (Statement st = this.writeConnection.createStatement()) {
			st.execute("BEGIN IMMEDIATE");
		}
	}

	static boolean isBusy(SQLException ex) {
		String message = String.valueOf(ex.getMessage());
		return message.contains("SQLITE_BUSY") || message.contains("database is locked");
	}

	void rollback() throws SQLException {
		try (Statement st = this.writeConnection.createStatement()) {
			st.execute("ROLLBACK");
		}
		catch (SQLException ex) {
			if (!String.valueOf(ex.getMessage()).contains("no transaction is active")) {
				throw ex;
			}
		}
	}

	static String queryString(Statement st, String sql) throws SQLException {
		try (ResultSet rs = st.executeQuery(sql)) {
			return rs.next() ? rs.getString(1) : null;
		}
	}

	boolean isOpen() {
		return this.writeConnection != null;
	}

	/** Closes the two read connections (which ends the read lock); the write connection stays open. */
	void closeReaders() {
		closeQuietly(this.readConnection);
		closeQuietly(this.spareReadConnection);
		this.readConnection = null;
		this.spareReadConnection = null;
		this.readLocked = false;
	}

	private void closeQuietly(Connection c) {
		if (c != null) {
			try {
				c.close();
			}
			catch (SQLException ex) {
				logger.debug("{}: error closing connection: {}", this.options.path(), ex.getMessage());
			}
		}
	}

	/** Closes every connection opened so far (which ends the read lock); errors are only logged. */
	void closeQuietly() {
		for (Connection c : new Connection[] { this.readConnection, this.spareReadConnection, this.writeConnection }) {
			closeQuietly(c);
		}
		this.readConnection = null;
		this.spareReadConnection = null;
		this.writeConnection = null;
		this.readLocked = false;
	}

}
