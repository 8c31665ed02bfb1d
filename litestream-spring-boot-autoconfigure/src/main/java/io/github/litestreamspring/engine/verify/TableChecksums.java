package io.github.litestreamspring.engine.verify;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checksums of a database's logical content, for comparing a restore with the live database: the
 * schema, then every table's rows in rowid order (primary-key order for {@code WITHOUT ROWID} tables),
 * each value hashed with its storage class.
 * <p>
 * Contents rather than pages: the live database at a position is its file plus the WAL frames up to
 * it, whereas a restore is one checkpointed file, so their page images legitimately differ (header
 * change counter, which pages still sit in the WAL, free-list pages). Equal contents are what a
 * restore promises. The engine's {@code _litestream_*} tables are included: they are replicated too.
 * Virtual tables are skipped (their shadow tables are ordinary tables and are compared).
 */
final class TableChecksums {

	private TableChecksums() {
	}

	/**
	 * @return per table (and {@code sqlite_schema}), {@code "rows=N sha256=..."}, in name order; read
	 * inside whatever transaction {@code connection} has open
	 */
	static Map<String, String> of(Connection connection) throws SQLException {
		Map<String, String> sums = new LinkedHashMap<>();
		List<String[]> tables = new ArrayList<>();
		try (Statement st = connection.createStatement();
				ResultSet rs = st.executeQuery("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name")) {
			Digest schema = new Digest();
			while (rs.next()) {
				// rootpage is left out: page numbers are layout, not content.
				for (int i = 1; i <= 4; i++) {
					schema.value(rs.getObject(i));
				}
				schema.row();
				String sql = String.valueOf(rs.getString(4)).toUpperCase(Locale.ROOT);
				if ("table".equals(rs.getString(1)) && !sql.startsWith("CREATE VIRTUAL TABLE")) {
					tables.add(new String[] { rs.getString(2), sql });
				}
			}
			sums.put("sqlite_schema", schema.toString());
		}
		for (String[] table : tables) {
			sums.put(table[0], table(connection, table[0], table[1].contains("WITHOUT ROWID")));
		}
		return sums;
	}

	private static String table(Connection connection, String name, boolean withoutRowid) throws SQLException {
		String quoted = "\"" + name.replace("\"", "\"\"") + "\"";
		String sql;
		if (withoutRowid) {
			int columns;
			try (Statement st = connection.createStatement();
					ResultSet rs = st.executeQuery("SELECT * FROM " + quoted + " LIMIT 0")) {
				columns = rs.getMetaData().getColumnCount();
			}
			StringBuilder order = new StringBuilder();
			for (int i = 1; i <= columns; i++) {
				order.append((i > 1) ? ", " : "").append(i);
			}
			sql = "SELECT * FROM " + quoted + " ORDER BY " + order;
		}
		else {
			sql = "SELECT rowid, * FROM " + quoted + " ORDER BY rowid";
		}
		Digest digest = new Digest();
		try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
			int columns = rs.getMetaData().getColumnCount();
			while (rs.next()) {
				for (int i = 1; i <= columns; i++) {
					digest.value(rs.getObject(i));
				}
				digest.row();
			}
		}
		return digest.toString();
	}

	/** SHA-256 over tagged values, so that {@code 1}, {@code 1.0}, {@code '1'} and {@code x'31'} differ. */
	private static final class Digest {

		private final MessageDigest sha;

		private long rows;

		Digest() {
			try {
				this.sha = MessageDigest.getInstance("SHA-256");
			}
			catch (NoSuchAlgorithmException ex) {
				throw new IllegalStateException(ex);
			}
		}

		void value(Object value) {
			if (value == null) {
				this.sha.update((byte) 'N');
			}
			else if (value instanceof Integer || value instanceof Long) {
				this.sha.update((byte) 'I');
				this.sha.update(ByteBuffer.allocate(8).putLong(((Number) value).longValue()).array());
			}
			else if (value instanceof Number n) {
				this.sha.update((byte) 'R');
				this.sha.update(ByteBuffer.allocate(8).putLong(Double.doubleToLongBits(n.doubleValue())).array());
			}
			else if (value instanceof byte[] bytes) {
				bytes(bytes, 'B');
			}
			else {
				bytes(value.toString().getBytes(StandardCharsets.UTF_8), 'T');
			}
		}

		private void bytes(byte[] bytes, char tag) {
			this.sha.update((byte) tag);
			this.sha.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
			this.sha.update(bytes);
		}

		void row() {
			this.sha.update((byte) '\n');
			this.rows++;
		}

		@Override
		public String toString() {
			return "rows=" + this.rows + " sha256=" + HexFormat.of().formatHex(this.sha.digest());
		}

	}

}
