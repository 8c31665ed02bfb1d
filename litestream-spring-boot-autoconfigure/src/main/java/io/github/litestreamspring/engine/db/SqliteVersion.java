package io.github.litestreamspring.engine.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import io.github.litestreamspring.engine.LitestreamException;

/**
 * A SQLite library version ({@code sqlite_version()}), and whether it has the WAL-reset bug.
 * <p>
 * SQLite 3.7.0 to 3.51.2 can corrupt a database when two connections write and checkpoint the same
 * WAL at the same moment and the WAL is reset (restarted) in between; 3.51.3 fixes it
 * (<a href="https://sqlite.org/wal.html#walresetbug">sqlite.org/wal.html#walresetbug</a>). That is
 * exactly what replication does: the engine's checkpoint connection restarts the WAL next to the
 * application's writers. The version is the one compiled into the sqlite-jdbc driver on the class path,
 * which an application's dependency management may have changed.
 */
public final class SqliteVersion implements Comparable<SqliteVersion> {

	/** The first version of the 3.x line with the WAL-reset bug. */
	public static final SqliteVersion WAL_RESET_BUG_INTRODUCED = new SqliteVersion(3, 7, 0);

	/** The first version without the WAL-reset bug. */
	public static final SqliteVersion WAL_RESET_BUG_FIXED = new SqliteVersion(3, 51, 3);

	private final int major;

	private final int minor;

	private final int patch;

	public SqliteVersion(int major, int minor, int patch) {
		this.major = major;
		this.minor = minor;
		this.patch = patch;
	}

	/**
	 * Parses {@code sqlite_version()}'s form, "3.50.3" (a missing patch number is 0).
	 * @throws IllegalArgumentException if the text is not such a version
	 */
	public static SqliteVersion parse(String text) {
		String[] parts = (text != null) ? text.trim().split("\\.") : new String[0];
		if (parts.length < 2 || parts.length > 3) {
			throw new IllegalArgumentException("not a SQLite version: '" + text + "'");
		}
		try {
			int patch = (parts.length == 3) ? Integer.parseInt(parts[2]) : 0;
			return new SqliteVersion(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), patch);
		}
		catch (NumberFormatException ex) {
			throw new IllegalArgumentException("not a SQLite version: '" + text + "'", ex);
		}
	}

	/** The version of the SQLite library behind an open connection. */
	public static SqliteVersion of(Connection connection) throws SQLException {
		try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SELECT sqlite_version()")) {
			rs.next();
			return parse(rs.getString(1));
		}
	}

	/** The version of the SQLite library in the sqlite-jdbc driver on the class path (an in-memory database). */
	public static SqliteVersion ofDriver() {
		try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:")) {
			return of(c);
		}
		catch (SQLException ex) {
			throw new LitestreamException("cannot read the SQLite version of the sqlite-jdbc driver: " + ex.getMessage(),
					ex);
		}
	}

	/** Whether this version can corrupt a database when the WAL is reset under concurrent writers. */
	public boolean hasWalResetBug() {
		return compareTo(WAL_RESET_BUG_INTRODUCED) >= 0 && compareTo(WAL_RESET_BUG_FIXED) < 0;
	}

	@Override
	public int compareTo(SqliteVersion other) {
		int c = Integer.compare(this.major, other.major);
		if (c == 0) {
			c = Integer.compare(this.minor, other.minor);
		}
		return (c != 0) ? c : Integer.compare(this.patch, other.patch);
	}

	@Override
	public boolean equals(Object obj) {
		return (obj instanceof SqliteVersion other) && compareTo(other) == 0;
	}

	@Override
	public int hashCode() {
		return (this.major * 1000 + this.minor) * 1000 + this.patch;
	}

	@Override
	public String toString() {
		return this.major + "." + this.minor + "." + this.patch;
	}

}
