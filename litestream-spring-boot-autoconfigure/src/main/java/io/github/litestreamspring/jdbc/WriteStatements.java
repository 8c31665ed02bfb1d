package io.github.litestreamspring.jdbc;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a SQL statement does to a transaction, judged by its first keywords, for {@link GuardedConnections}.
 * Two tests with different errors allowed:
 * <ul>
 * <li>{@link #WRITE}: the statement surely writes or takes the write lock ({@code INSERT}, {@code UPDATE},
 * {@code DELETE}, {@code REPLACE}, DDL, {@code BEGIN IMMEDIATE|EXCLUSIVE}, {@code WITH ...} containing DML).
 * Backpressure and an open write gate act on these only, so a read is never delayed;</li>
 * <li>{@link #READ}: the statement is known not to write ({@code SELECT}, {@code VALUES}, {@code EXPLAIN},
 * {@code WITH} without DML, {@code PRAGMA} queries, {@code BEGIN [DEFERRED]}, {@code COMMIT}, {@code END},
 * {@code ROLLBACK}, {@code SAVEPOINT}, {@code RELEASE}). While the write gate is paused or closed, everything
 * else counts as a write, so that an unrecognised write ({@code PRAGMA user_version = 5}) cannot slip
 * through.</li>
 * </ul>
 * {@link #ENDS} marks {@code COMMIT}, {@code END} and {@code ROLLBACK} (not {@code ROLLBACK TO}) run as SQL.
 */
final class WriteStatements {

	/** Surely writes. */
	static final int WRITE = 1;

	/** Surely does not write. */
	static final int READ = 2;

	/** Ends the transaction. */
	static final int ENDS = 4;

	private static final Pattern FIRST_WORDS = Pattern
		.compile("\\A(?:\\s+|--[^\\n]*(?:\\n|\\z)|/\\*.*?\\*/)*(\\w+)(?:\\s+(\\w+))?", Pattern.DOTALL);

	private static final Pattern DML = Pattern.compile("\\b(INSERT|UPDATE|DELETE|REPLACE)\\b",
			Pattern.CASE_INSENSITIVE);

	/** {@code PRAGMA [schema.]name} and what follows the name: {@code =}, {@code (} or nothing. */
	private static final Pattern PRAGMA = Pattern
		.compile("PRAGMA\\s+(?:\\w+\\s*\\.\\s*)?(\\w+)\\s*([=(])?", Pattern.CASE_INSENSITIVE);

	private static final Pattern ROLLBACK_TO = Pattern.compile("ROLLBACK(?:\\s+TRANSACTION)?\\s+TO\\b",
			Pattern.CASE_INSENSITIVE);

	private static final Set<String> WRITES = Set.of("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP",
			"ALTER", "VACUUM", "REINDEX", "ANALYZE");

	private static final Set<String> READS = Set.of("SELECT", "VALUES", "EXPLAIN", "SAVEPOINT", "RELEASE");

	/** Pragmas that take an argument in parentheses and only query. */
	private static final Set<String> QUERY_PRAGMAS = Set.of("TABLE_INFO", "TABLE_XINFO", "TABLE_LIST", "INDEX_INFO",
			"INDEX_XINFO", "INDEX_LIST", "FOREIGN_KEY_LIST", "FOREIGN_KEY_CHECK", "INTEGRITY_CHECK", "QUICK_CHECK");

	private WriteStatements() {
	}

	/** {@link #WRITE}, {@link #READ} and {@link #ENDS} flags of {@code sql}; zero when unknown. */
	static int classify(String sql) {
		if (sql == null) {
			return 0;
		}
		Matcher m = FIRST_WORDS.matcher(sql);
		if (!m.lookingAt()) {
			return 0;
		}
		String first = m.group(1).toUpperCase(Locale.ROOT);
		String second = (m.group(2) != null) ? m.group(2).toUpperCase(Locale.ROOT) : "";
		if (WRITES.contains(first)) {
			return WRITE;
		}
		if (READS.contains(first)) {
			return READ;
		}
		return switch (first) {
			case "BEGIN" -> ("IMMEDIATE".equals(second) || "EXCLUSIVE".equals(second)) ? WRITE : READ;
			case "WITH" -> DML.matcher(sql).find() ? WRITE : READ;
			case "COMMIT", "END" -> READ | ENDS;
			case "ROLLBACK" -> ROLLBACK_TO.matcher(sql).region(m.start(1), sql.length()).lookingAt() ? READ
					: READ | ENDS;
			case "PRAGMA" -> isQueryPragma(sql, m.start(1)) ? READ : 0;
			default -> 0;
		};
	}

	/** Whether {@code sql} writes (or takes the write lock), judged by its first keywords. */
	static boolean isWrite(String sql) {
		return (classify(sql) & WRITE) != 0;
	}

	private static boolean isQueryPragma(String sql, int start) {
		Matcher m = PRAGMA.matcher(sql).region(start, sql.length());
		if (!m.lookingAt()) {
			return false;
		}
		String follows = m.group(2);
		return follows == null || ("(".equals(follows) && QUERY_PRAGMAS.contains(m.group(1).toUpperCase(Locale.ROOT)));
	}

}
