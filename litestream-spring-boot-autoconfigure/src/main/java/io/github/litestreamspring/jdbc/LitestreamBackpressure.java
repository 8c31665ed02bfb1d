package io.github.litestreamspring.jdbc;

import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.time.Duration;

import org.springframework.util.unit.DataSize;

import io.github.litestreamspring.autoconfigure.LitestreamProperties.Backpressure.Policy;
import io.github.litestreamspring.engine.replication.ReplicationStatus;
import io.github.litestreamspring.autoconfigure.LitestreamProperties;
import io.github.litestreamspring.lifecycle.LitestreamReplication;

/**
 * The {@code litestream.backpressure} policy: whether replication is behind a configured limit (time or
 * WAL bytes, per replica), and what that does to application writes. Health reports it under every
 * policy; {@code throttle} and {@code fail} are enforced by wrapping the pool's physical connections
 * ({@link BackpressureConnections}), before a write statement starts, never while SQLite holds the
 * write lock for it.
 */
public class LitestreamBackpressure {

	/** Status is read at most this often by writers: cheap enough for every write statement. */
	private static final long CACHE_NANOS = 20_000_000;

	private static final long THROTTLE_POLL_MILLIS = 20;

	private final LitestreamReplication replication;

	private final Duration maxLag;

	private final DataSize maxLagBytes;

	private final Policy policy;

	private final Duration maxThrottle;

	private volatile String cachedViolation;

	private volatile long cachedAt = System.nanoTime() - 2 * CACHE_NANOS;

	public LitestreamBackpressure(LitestreamReplication replication, LitestreamProperties.Backpressure properties) {
		this.replication = replication;
		this.maxLag = properties.getMaxLag();
		this.maxLagBytes = properties.getMaxLagBytes();
		this.policy = (properties.getPolicy() != null) ? properties.getPolicy() : Policy.DEGRADE;
		this.maxThrottle = (properties.getMaxThrottle() != null) ? properties.getMaxThrottle() : Duration.ZERO;
	}

	public Policy policy() {
		return this.policy;
	}

	public Duration maxLag() {
		return this.maxLag;
	}

	public DataSize maxLagBytes() {
		return this.maxLagBytes;
	}

	/** Whether a limit is configured at all. */
	public boolean isEnabled() {
		return (this.maxLag != null && !this.maxLag.isZero()) || (this.maxLagBytes != null);
	}

	/** Whether writes are affected (a limit and the {@code throttle} or {@code fail} policy). */
	public boolean isEnforcing() {
		return isEnabled() && this.policy != Policy.DEGRADE;
	}

	/** Why replication is over a limit now, or {@code null} when it is not. */
	public String violation() {
		return violation(this.replication.status());
	}

	/** Why {@code status} is over a limit, or {@code null}. */
	public String violation(ReplicationStatus status) {
		if (!isEnabled()) {
			return null;
		}
		for (ReplicationStatus.Replica replica : status.replicas()) {
			if (this.maxLag != null && !this.maxLag.isZero() && replica.lag().compareTo(this.maxLag) > 0) {
				return "replica '" + replica.name() + "' has been behind for " + replica.lag()
						+ " (litestream.backpressure.max-lag=" + this.maxLag + ", policy=" + policyName() + ")";
			}
			if (this.maxLagBytes != null && replica.lagBytes() > this.maxLagBytes.toBytes()) {
				return "replica '" + replica.name() + "' is " + replica.lagBytes() + " WAL bytes behind"
						+ " (litestream.backpressure.max-lag-bytes=" + this.maxLagBytes + ", policy=" + policyName()
						+ ")";
			}
		}
		return null;
	}

	/**
	 * Called before a new write transaction's first write statement: returns at once when replication
	 * is within its limits; otherwise waits ({@code throttle}, bounded) or throws ({@code fail}).
	 * @return how long the write was delayed, in milliseconds
	 */
	long beforeWrite() throws SQLException {
		String violation = cachedViolation();
		if (violation == null || this.policy == Policy.DEGRADE) {
			return 0;
		}
		if (this.policy == Policy.FAIL) {
			throw new SQLTransientException("write rejected by litestream.backpressure.policy=fail: " + violation);
		}
		long started = System.nanoTime();
		long deadline = started + this.maxThrottle.toNanos();
		while (violation != null && System.nanoTime() < deadline) {
			try {
				Thread.sleep(Math.min(THROTTLE_POLL_MILLIS, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new SQLTransientException("interrupted while throttled by litestream.backpressure", ex);
			}
			violation = cachedViolation();
		}
		return (System.nanoTime() - started) / 1_000_000;
	}

	private String cachedViolation() {
		long now = System.nanoTime();
		if (now - this.cachedAt > CACHE_NANOS) {
			this.cachedViolation = violation();
			this.cachedAt = now;
		}
		return this.cachedViolation;
	}

	private String policyName() {
		return this.policy.name().toLowerCase(java.util.Locale.ROOT);
	}

}
