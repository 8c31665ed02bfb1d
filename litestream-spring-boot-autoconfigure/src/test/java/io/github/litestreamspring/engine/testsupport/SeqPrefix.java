package io.github.litestreamspring.engine.testsupport;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The crash tests' table {@code seq(n)} of sequence-numbered rows, one per transaction: a database that
 * holds it without a hole has exactly the rows 1..M.
 *
 * @param count rows
 * @param min lowest row, 0 when empty
 * @param max highest row, 0 when empty
 */
public record SeqPrefix(long count, long min, long max) {

	/** Asserts integrity and that {@code seq} holds exactly 1..M (a gap-free prefix); returns it. */
	public static SeqPrefix assertGapFree(Path database, String what) throws Exception {
		assertThat(TestDatabase.integrityCheck(database)).as("integrity of %s", what).isEqualTo("ok");
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database);
				Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("SELECT COUNT(*), COALESCE(MIN(n), 0), COALESCE(MAX(n), 0) FROM seq")) {
			rs.next();
			SeqPrefix prefix = new SeqPrefix(rs.getLong(1), rs.getLong(2), rs.getLong(3));
			assertThat(prefix.count()).as("%s: rows vs. highest row %s (a hole)", what, prefix).isEqualTo(prefix.max());
			if (prefix.count() > 0) {
				assertThat(prefix.min()).as("%s: lowest row", what).isEqualTo(1);
			}
			return prefix;
		}
	}

	/** The highest row of the live database, which must itself be gap-free. */
	public static long localMax(Path database) throws Exception {
		try (Connection c = TestDatabase.open(database);
				Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("SELECT COUNT(*), MAX(n) FROM seq")) {
			rs.next();
			assertThat(rs.getLong(1)).as("local rows are gap-free").isEqualTo(rs.getLong(2));
			return rs.getLong(2);
		}
	}

}
