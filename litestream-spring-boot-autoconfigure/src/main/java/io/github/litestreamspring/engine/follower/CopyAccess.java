package io.github.litestreamspring.engine.follower;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Proves that no connection has a copy open before the follower changes it. In exclusive locking mode,
 * {@code BEGIN IMMEDIATE} plus a read takes SQLite's EXCLUSIVE lock on the file, which fails at once while
 * any other connection of this process or another has read from it and is still open (the same proof as
 * a clean stop's, {@code CleanClose}). A connection that opened the file but never read from it holds no
 * lock and is not seen; the pool's connections read at hand-out (the check of which copy they read), and
 * one that reads later finds a committed state of the primary in any case: the apply goes through
 * SQLite's own WAL and checkpoint.
 */
final class CopyAccess {

	private CopyAccess() {
	}

	/** Whether nothing has {@code copy} open (a copy that does not exist is not open). */
	static boolean unused(Path copy) throws SQLException {
		if (!Files.exists(copy)) {
			return true;
		}
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + copy);
				Statement st = c.createStatement()) {
			st.execute("PRAGMA busy_timeout = 0");
			st.execute("PRAGMA locking_mode = EXCLUSIVE");
			try {
				st.execute("BEGIN IMMEDIATE");
				st.executeQuery("SELECT COUNT(*) FROM sqlite_master").close();
				st.execute("ROLLBACK");
				return true;
			}
			catch (SQLException ex) {
				if (isBusy(ex)) {
					return false;
				}
				throw ex;
			}
		}
	}

	private static boolean isBusy(SQLException ex) {
		String message = String.valueOf(ex.getMessage());
		return message.contains("SQLITE_BUSY") || message.contains("database is locked");
	}

}
