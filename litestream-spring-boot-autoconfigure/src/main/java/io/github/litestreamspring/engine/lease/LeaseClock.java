package io.github.litestreamspring.engine.lease;

import java.time.Duration;

/**
 * The holder's side of a lease's liveness, on the local monotonic clock: writes start only while the
 * last successful renewal <em>started</em> less than 3/4 TTL ago, a renewal is due every third of the
 * TTL, and every write request must end by the write deadline.
 * <p>
 * <b>The write fence.</b> Stopping to <em>start</em> requests is not enough: a request started just
 * before 3/4 TTL (a large part, or a call in retries) could still reach the store after another instance
 * took over. So every write request is also bounded by the {@linkplain #writeDeadlineNanos() write
 * deadline}, 7/8 TTL after the last renewal started: S3 requests carry the time left as their API call
 * timeout (which covers the SDK's own retries), and each part or retry asks the guard again. The margins:
 * a request may start up to 3/4 TTL, must end by 7/8 TTL, and the last 1/8 TTL (3.75 s at the default
 * 30 s) covers a request the client gave up on but the store still completes, and the drift between the
 * two hosts' monotonic clocks. With renewals every third of the TTL, a request that starts while they
 * succeed has at least 7/8 - 1/3 = 13/24 TTL (16 s at 30 s) for one part with its retries; a slower link
 * needs a longer TTL or smaller parts.
 * <p>
 * Guarded by the {@link ReplicaLease}'s monitor.
 */
final class LeaseClock {

	/** The TTL of the lease as last written: the lease's own, or the longer one of an idle lease. */
	private Duration ttl;

	/** {@link System#nanoTime()} when the last successful create or renewal request started. */
	private long renewedNanos;

	LeaseClock(Duration ttl) {
		this.ttl = ttl;
	}

	/** A request that started at {@code startedNanos} wrote the lease with {@code ttl} (an idle lease's, or back). */
	void renewed(long startedNanos, Duration ttl) {
		this.renewedNanos = startedNanos;
		this.ttl = ttl;
	}

	/** Whether a write request may start now. */
	boolean writable() {
		return System.nanoTime() - this.renewedNanos < this.ttl.toNanos() * 3 / 4;
	}

	/** The {@link System#nanoTime()} by which every write request must have ended: 7/8 TTL after the last renewal. */
	long writeDeadlineNanos() {
		return this.renewedNanos + this.ttl.toNanos() * 7 / 8;
	}

	/** Whether it is time to renew (a third of the TTL since the last renewal started). */
	boolean renewalDue() {
		return System.nanoTime() - this.renewedNanos >= this.ttl.toNanos() / 3;
	}

	/** How long ago the last successful renewal started. */
	Duration sinceRenewal() {
		return Duration.ofMillis((System.nanoTime() - this.renewedNanos) / 1_000_000);
	}

}
