package io.github.litestreamspring.autoconfigure;

/**
 * The backpressure's test of a write statement, now {@link WriteStatements#isWrite}; the connections
 * themselves are {@link GuardedConnections}.
 */
final class BackpressureConnections {

	private BackpressureConnections() {
	}

	/** Whether {@code sql} writes (or takes the write lock), judged by its first keywords. */
	static boolean isWrite(String sql) {
		return WriteStatements.isWrite(sql);
	}

}
