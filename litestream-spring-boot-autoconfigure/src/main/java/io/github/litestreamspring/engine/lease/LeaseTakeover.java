package io.github.litestreamspring.engine.lease;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * When another instance's lease may be taken over: once this instance has seen the same version of it,
 * unchanged, for the holder's whole TTL (by its own monotonic clock), or at once when it was written by a
 * dead predecessor on this host and local state (the state's lock is free). Guarded by the
 * {@link ReplicaLease}'s monitor.
 */
final class LeaseTakeover {

	private String observedEtag;

	private long observedSinceNanos;

	/** This process's local state directory id ({@code LocalState.stateId()}), or {@code null}. */
	private String stateId;

	/** Whether no live process holds the lock on that local state directory. */
	private BooleanSupplier localStateFree = () -> false;

	void setLocalState(String stateId, BooleanSupplier free) {
		this.stateId = stateId;
		this.localStateFree = free;
	}

	String stateId() {
		return this.stateId;
	}

	/** Whether this version of another instance's lease has been seen, unchanged, for its whole TTL. */
	boolean unchangedForTtl(String etag, long ttlMillis) {
		long nanos = System.nanoTime();
		if (!etag.equals(this.observedEtag)) {
			this.observedEtag = etag;
			this.observedSinceNanos = nanos;
			return false;
		}
		return nanos - this.observedSinceNanos >= Duration.ofMillis(ttlMillis).toNanos();
	}

	/** Starts the count over at the next look (the lease changed hands). */
	void forget() {
		this.observedEtag = null;
	}

	/**
	 * We changed the holder's lease ourselves (a hand-over request): that must not restart our count
	 * towards a takeover, since the holder did not renew.
	 */
	void weRewrote(String etag, String newEtag) {
		if (etag.equals(this.observedEtag)) {
			this.observedEtag = newEtag;
		}
	}

	/** Whether {@code other} was written by a dead predecessor on this host and local state. */
	boolean deadPredecessor(LeaseContent other) {
		return other != null && this.stateId != null && this.stateId.equals(other.state())
				&& LeaseContent.HOST.equals(other.host()) && this.localStateFree.getAsBoolean();
	}

}
