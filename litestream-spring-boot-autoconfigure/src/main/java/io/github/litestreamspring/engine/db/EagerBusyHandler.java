package io.github.litestreamspring.engine.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

import org.sqlite.BusyHandler;

/**
 * Retries a locked database every few tens of microseconds instead of SQLite's default 1, 2, 5, 10 …
 * millisecond sleeps.
 * <ul>
 * <li>The engine's write connection retries eagerly until its timeout: a writer that commits in a tight
 * loop releases the write lock only for moments between its transactions; sleeping in milliseconds the
 * engine would almost never catch one of them, and its checkpoints would starve while the WAL grows
 * without bound.</li>
 * <li>Application connections retry eagerly for the first {@value #APPLICATION_EAGER_MILLIS} ms, which
 * covers the engine's checkpoint (it holds the write lock for a copy and a short back-fill), then
 * every millisecond. With SQLite's schedule a writer blocked for 3 ms would sleep 8 ms; under a busy
 * writer that difference is most of what replication costs in throughput.</li>
 * </ul>
 */
public final class EagerBusyHandler extends BusyHandler {

	static final long APPLICATION_EAGER_MILLIS = 20;

	private static final long PAUSE_NANOS = 20_000;

	private static final long SLOW_PAUSE_NANOS = 1_000_000;

	private final long timeoutNanos;

	private final long eagerNanos;

	private long startedNanos;

	EagerBusyHandler(Duration timeout) {
		this(timeout, timeout);
	}

	private EagerBusyHandler(Duration timeout, Duration eager) {
		this.timeoutNanos = timeout.toNanos();
		this.eagerNanos = eager.toNanos();
	}

	/**
	 * Installs the application connections' handler (eager for {@value #APPLICATION_EAGER_MILLIS} ms,
	 * then every millisecond) on a sqlite-jdbc connection; it replaces the connection's busy timeout
	 * with {@code timeout}.
	 */
	public static void installForApplication(Connection connection, Duration timeout) throws SQLException {
		BusyHandler.setHandler(connection, new EagerBusyHandler(timeout, Duration.ofMillis(APPLICATION_EAGER_MILLIS)));
	}

	@Override
	protected int callback(int previousInvocations) {
		long now = System.nanoTime();
		if (previousInvocations == 0) {
			this.startedNanos = now;
		}
		long waited = now - this.startedNanos;
		if (waited >= this.timeoutNanos) {
			return 0;
		}
		LockSupport.parkNanos((waited < this.eagerNanos) ? PAUSE_NANOS : SLOW_PAUSE_NANOS);
		return 1;
	}

}
