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
 */
public record LeaseOptions(boolean enabled, Duration ttl, OnConflict onConflict) {

	public static final Duration DEFAULT_TTL = Duration.ofSeconds(30);

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
		if (ttl.toMillis() < 300) {
			throw new IllegalArgumentException("lease ttl must be at least 300ms, was " + ttl);
		}
	}

	/** Leases with the given TTL and policy. */
	public static LeaseOptions enabled(Duration ttl, OnConflict onConflict) {
		return new LeaseOptions(true, ttl, onConflict);
	}

}
