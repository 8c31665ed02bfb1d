package io.github.litestreamspring.engine.lease;

import java.time.Duration;

/**
 * The single-writer guard: whether a {@link Replicator} takes a lease on each replica path before
 * writing to it, how long a lease lives without renewal, and what a second instance does when the path
 * is taken.
 *
 * @param enabled whether to take leases at all
 * @param ttl how long a lease stays valid without renewal; renewed every third of it
 * @param onConflict what {@link Replicator#start()} does when another instance holds a lease
 * @param idleAfter how long the database must go without a change before the holder makes its leases
 * idle ({@link ReplicaLease}); {@code null} never. Only safe where every write of the application passes
 * the {@link WriteGate} (the Spring layer's pooled connections): an idle lease promises that no write
 * starts before the lease is woken.
 * @param idleTtl the TTL of an idle lease: an idle holder renews every third of it; {@code null} for
 * {@link #DEFAULT_IDLE_TTL}, or {@code ttl} if that is longer
 */
public record LeaseOptions(boolean enabled, Duration ttl, OnConflict onConflict, Duration idleAfter, Duration idleTtl) {

	public static final Duration DEFAULT_TTL = Duration.ofSeconds(30);

	/**
	 * An idle lease is renewed every 100 s: 0.6 requests a minute, fewer than Litestream's own idle
	 * requests, while a starting instance still takes it at once.
	 */
	public static final Duration DEFAULT_IDLE_TTL = Duration.ofMinutes(5);

	/** No lease: the engine writes without coordination (the behaviour of Litestream itself). */
	public static final LeaseOptions DISABLED = new LeaseOptions(false, null, null);

	/** What a second instance does when the replica path is held by another. */
	public enum OnConflict {

		/** Start anyway, replicate locally, upload nothing until the lease is free, then take it. */
		WAIT,

		/** Make {@link Replicator#start()} throw, naming the holder. */
		FAIL

	}

	public LeaseOptions {
		ttl = (ttl != null) ? ttl : DEFAULT_TTL;
		onConflict = (onConflict != null) ? onConflict : OnConflict.WAIT;
		idleAfter = (idleAfter != null && idleAfter.isZero()) ? null : idleAfter;
		idleTtl = (idleTtl != null) ? idleTtl : (ttl.compareTo(DEFAULT_IDLE_TTL) > 0) ? ttl : DEFAULT_IDLE_TTL;
		if (ttl.toMillis() < 300) {
			throw new IllegalArgumentException("lease ttl must be at least 300ms, was " + ttl);
		}
		if (idleAfter != null && idleAfter.isNegative()) {
			throw new IllegalArgumentException("lease idle-after must not be negative, was " + idleAfter);
		}
		if (idleTtl.compareTo(ttl) < 0) {
			throw new IllegalArgumentException("lease idle-ttl (" + idleTtl + ") must be at least the ttl (" + ttl + ")");
		}
	}

	/** Leases that are never idle. */
	public LeaseOptions(boolean enabled, Duration ttl, OnConflict onConflict) {
		this(enabled, ttl, onConflict, null, null);
	}

	/** These options with idle leases after {@code idleAfter} without a change ({@code null} or zero: never). */
	public LeaseOptions withIdle(Duration idleAfter, Duration idleTtl) {
		return new LeaseOptions(this.enabled, this.ttl, this.onConflict, idleAfter, idleTtl);
	}

	/** Leases with the given TTL and policy. */
	public static LeaseOptions enabled(Duration ttl, OnConflict onConflict) {
		return new LeaseOptions(true, ttl, onConflict);
	}

}
