package io.github.litestreamspring.jdbc;

import java.io.Closeable;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.logging.Logger;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import org.sqlite.SQLiteConnection;

import io.github.litestreamspring.lifecycle.LitestreamFollower;

/**
 * The application's Hikari pool of a follower's database, checked at every hand-out: a connection that
 * reads another copy than the one the database path links to now (it was opened before a switch) is
 * evicted and another one taken, so no reader starts on an older state than one already served. Which copy
 * a physical connection reads is asked once ({@code PRAGMA database_list}: SQLite resolved the link when it
 * opened) and remembered. After a switch the pool's connections are soft-evicted: idle ones close at once,
 * those in use when returned (their readers keep the consistent state they started with).
 * <p>
 * {@link #unwrap} and {@link #isWrapperFor} reach the {@link HikariDataSource}, so Spring Boot's pool
 * metrics and health find it; code that injects {@code HikariDataSource} itself does not (see
 * docs/follower.md).
 */
class FollowerDataSource implements DataSource, Closeable, LitestreamFollower.FollowerPool {

	/** Hand-out attempts before giving up (each evicted connection is replaced by a new one). */
	private static final int MAX_ATTEMPTS = 64;

	private final HikariDataSource pool;

	private final LitestreamFollower follower;

	private final Map<SQLiteConnection, Path> copies = Collections.synchronizedMap(new WeakHashMap<>());

	FollowerDataSource(HikariDataSource pool, LitestreamFollower follower) {
		this.pool = pool;
		this.follower = follower;
		follower.register(this);
	}

	@Override
	public Connection getConnection() throws SQLException {
		return checked(null, null);
	}

	@Override
	public Connection getConnection(String username, String password) throws SQLException {
		return checked(username, password);
	}

	private Connection checked(String username, String password) throws SQLException {
		for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
			this.follower.awaitHandOuts();
			Connection connection = (username != null) ? this.pool.getConnection(username, password)
					: this.pool.getConnection();
			Path active = this.follower.activeCopy();
			if (active == null || active.equals(copyOf(connection))) {
				return connection;
			}
			this.pool.evictConnection(connection);
		}
		throw new SQLTransientConnectionException("no connection of the pool reads " + this.follower.activeCopy()
				+ " after " + MAX_ATTEMPTS + " attempts (the follower switched copies meanwhile); retry");
	}

	private Path copyOf(Connection connection) throws SQLException {
		SQLiteConnection physical = connection.unwrap(SQLiteConnection.class);
		Path copy = this.copies.get(physical);
		if (copy == null) {
			try (Statement st = physical.createStatement();
					ResultSet rs = st.executeQuery("PRAGMA database_list")) {
				while (rs.next()) {
					if ("main".equals(rs.getString("name"))) {
						copy = Path.of(rs.getString("file")).toAbsolutePath().normalize();
					}
				}
			}
			if (copy != null) {
				this.copies.put(physical, copy);
			}
		}
		return copy;
	}

	@Override
	public void retireConnections() {
		HikariPoolMXBean mx = this.pool.getHikariPoolMXBean();
		if (mx != null) {
			mx.softEvictConnections();
		}
	}

	@Override
	public void closeConnections() {
		retireConnections();
	}

	@Override
	public void close() {
		this.pool.close();
	}

	@Override
	public <T> T unwrap(Class<T> type) throws SQLException {
		if (type.isInstance(this)) {
			return type.cast(this);
		}
		if (type.isInstance(this.pool)) {
			return type.cast(this.pool);
		}
		return this.pool.unwrap(type);
	}

	@Override
	public boolean isWrapperFor(Class<?> type) throws SQLException {
		return type.isInstance(this) || type.isInstance(this.pool) || this.pool.isWrapperFor(type);
	}

	@Override
	public PrintWriter getLogWriter() throws SQLException {
		return this.pool.getLogWriter();
	}

	@Override
	public void setLogWriter(PrintWriter out) throws SQLException {
		this.pool.setLogWriter(out);
	}

	@Override
	public void setLoginTimeout(int seconds) throws SQLException {
		this.pool.setLoginTimeout(seconds);
	}

	@Override
	public int getLoginTimeout() throws SQLException {
		return this.pool.getLoginTimeout();
	}

	@Override
	public Logger getParentLogger() throws SQLFeatureNotSupportedException {
		return this.pool.getParentLogger();
	}

}
