package io.github.litestreamspring.engine;

import java.time.Duration;
import java.time.Instant;

import io.github.litestreamspring.engine.replica.Pos;

/**
 * The replication thread's bookkeeping for one replica: outcome of the last attempt, where it was last
 * known to be, and when it may upload next (sync interval, or an exponential backoff after failures).
 * Its lag is measured by {@link UnshippedCommits}.
 */
final class ReplicaState {

	private static final long MAX_BACKOFF_MILLIS = 30_000;

	volatile Instant lastAttemptAt;

	volatile Instant lastSyncAt;

	volatile String lastError;

	volatile Instant lastErrorAt;

	/** The cause of the failure last logged at ERROR, so that a persistent one is logged once. */
	volatile String lastLoggedCause;

	/** Set when the shadow WAL bound deleted what this replica needed; cleared by its next good sync. */
	volatile String shadowWalWarning;

	/** Earliest time of the next upload: the sync interval after the last one, or a backoff. */
	volatile Instant nextAttemptAt;

	int consecutiveFailures;

	/**
	 * Where the replica was after its last successful sync: a failed sync forgets the replica position
	 * (it is re-learnt from the replica), but the lag in bytes is still measured from here.
	 */
	volatile Pos lastKnownPosition = Pos.NONE;

	boolean due(Instant now) {
		return this.nextAttemptAt == null || !now.isBefore(this.nextAttemptAt);
	}

	void attempted(Instant now, Duration syncInterval, boolean failed) {
		this.lastAttemptAt = now;
		if (failed) {
			// Back off exponentially so that a down endpoint or a wrong credential costs few requests,
			// yet a short outage is caught up within a second or two.
			this.consecutiveFailures = Math.min(this.consecutiveFailures + 1, 16);
			long backoff = Math.min(MAX_BACKOFF_MILLIS, 100L << Math.min(this.consecutiveFailures, 10));
			this.nextAttemptAt = now.plusMillis(Math.max(backoff, syncInterval.toMillis()));
		}
		else {
			this.consecutiveFailures = 0;
			this.nextAttemptAt = now.plus(syncInterval);
		}
	}

}
