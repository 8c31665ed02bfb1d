package io.github.litestreamspring.engine;

import java.io.IOException;

/**
 * Decides whether a replica client may change the replica's objects right now. Asked before every write request to a replica store: the single-writer lease's fence (writes refused
 * once the lease is not held, and cut at the lease's deadline).
 */
@FunctionalInterface
public interface WriteGuard {

	/**
	 * @throws IOException (naming the reason) when writing is not allowed
	 */
	void checkWrite() throws IOException;

	/**
	 * The {@link System#nanoTime()} by which a write request that starts now must have ended (a store
	 * request, with all of its retries, is cut at it); {@link Long#MAX_VALUE} when writes are not bounded
	 * in time.
	 */
	default long deadlineNanos() {
		return Long.MAX_VALUE;
	}

}
