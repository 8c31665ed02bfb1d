package io.github.litestreamspring.engine.db;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

import org.sqlite.BusyHandler;

/**
 * Retries a locked database every few tens of microseconds instead of SQLite's default 1, 2, 5, 10 …
 * millisecond sleeps. A writer that commits in a tight loop releases the write lock only for moments
 * between its transactions; sleeping in milliseconds the engine would almost never catch one of them,
 * and its checkpoints would starve while the WAL grows without bound.
 */
final class EagerBusyHandler extends BusyHandler {

	private static final long PAUSE_NANOS = 20_000;

	private final long timeoutNanos;

	private long startedNanos;

	EagerBusyHandler(Duration timeout) {
		this.timeoutNanos = timeout.toNanos();
	}

	@Override
	protected int callback(int previousInvocations) {
		long now = System.nanoTime();
		if (previousInvocations == 0) {
			this.startedNanos = now;
		}
		if (now - this.startedNanos >= this.timeoutNanos) {
			return 0;
		}
		LockSupport.parkNanos(PAUSE_NANOS);
		return 1;
	}

}
