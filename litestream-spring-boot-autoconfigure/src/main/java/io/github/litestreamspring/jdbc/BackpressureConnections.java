package io.github.litestreamspring.jdbc;

/**
 * The backpressure's test of a write statement, now {@link WriteStatements#isWrite}; the connections
 * themselves are {@link GuardedConnections}.
 */
public final class BackpressureConnections {

	private BackpressureConnections() {
	}

	/** Whether {@code sql} writes (or takes the write lock), judged by its first keywords. */
	public static boolean isWrite(String sql) {
		return WriteStatements.isWrite(sql);
	}

}
