package io.github.litestreamspring.engine.lease;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.LeaseObject;
import io.github.litestreamspring.engine.Pos;

/**
 * The idle side of one held {@link ReplicaLease}: the lease written as idle at a position every replica
 * holds, renewed every third of the longer idle TTL, and made active again before the holder's next
 * write. Taking an idle lease is the starting instance's business ({@code ReplicaLease.tryAcquire}).
 * <p>
 * Guarded by the {@link ReplicaLease}'s monitor.
 */
final class IdleLease {

	/** Under ReplicaLease's name: one log category for the lease. */
	private static final Logger logger = LoggerFactory.getLogger(ReplicaLease.class);

	private final LeaseStore store;

	private final String owner;

	private final String label;

	private final String location;

	/** While the lease is idle: the position every replica holds and nothing local goes beyond; else {@code null}. */
	private Pos at;

	/** The TTL the idle lease was written with. */
	private Duration ttl;

	IdleLease(LeaseStore store, String owner, String label, String location) {
		this.store = store;
		this.owner = owner;
		this.label = label;
		this.location = location;
	}

	/** Where the lease is idle, or {@code null} while it is active. */
	Pos at() {
		return this.at;
	}

	/** The TTL to renew an idle lease with. */
	Duration ttl() {
		return this.ttl;
	}

	/** The lease is active (or no longer ours). */
	void clear() {
		this.at = null;
	}

	/**
	 * Writes {@code lease} as idle at {@code position} over version {@code etag}.
	 * @return the new version, or {@code null} if the lease changed meanwhile (the next renewal finds out why)
	 */
	String enter(String etag, LeaseContent lease, Pos position, Duration ttlWhileIdle) throws IOException {
		String newEtag = this.store.replace(etag, lease.idleAt(position).toBytes());
		if (newEtag != null) {
			this.at = position;
			this.ttl = ttlWhileIdle;
			logger.info("{}: lease on {} idle at {}: renewed every {} s until the next write makes it active again",
					this.label, this.location, position, ttlWhileIdle.toSeconds() / 3);
		}
		return newEtag;
	}

	/**
	 * What {@link #wake} found: the lease active again at version {@code etag}; or taken by another
	 * instance ({@code etag} {@code null}, {@code holder} as read, {@code null} if unreadable); or still ours
	 * and idle at version {@code etag}, our own renewals having won every attempt.
	 */
	record Woken(boolean active, String etag, LeaseContent holder) {
	}

	/**
	 * Writes {@code active} over the idle lease (version {@code etag}); when a renewal of our own raced it,
	 * tries again on the version that wrote, three attempts in all.
	 */
	Woken wake(String etag, LeaseContent active) throws IOException {
		String version = etag;
		for (int attempt = 0; attempt < 3; attempt++) {
			String newEtag = this.store.replace(version, active.toBytes());
			if (newEtag != null) {
				logger.info("{}: lease on {} active again (was idle at {})", this.label, this.location, this.at);
				this.at = null;
				return new Woken(true, newEtag, null);
			}
			Optional<LeaseObject> now = this.store.read();
			LeaseContent other = now.map((l) -> LeaseContent.parse(l.content())).orElse(null);
			if (other == null || !this.owner.equals(other.owner()) || other.released()) {
				return new Woken(false, null, other);
			}
			version = now.get().etag();
		}
		return new Woken(false, version, null);
	}

}
