package io.github.litestreamspring.engine.replication;

import java.time.Duration;
import java.time.Instant;

import io.github.litestreamspring.engine.Pos;

/**
 * The replication thread's bookkeeping for one replica: outcome of the last attempt, where it was last
 * known to be, and when it may upload next: the sync interval, an exponential backoff after failures,
 * and the upload ceiling ({@link ReplicaOptions#maxUploadsPerSecond()}), which keeps the starts of two
 * uploads at least {@link ReplicaOptions#minUploadInterval()} apart. The ceiling is a token bucket of one
 * token: after a quiet spell an upload starts at once; under load commits wait for the next token and
 * share its upload. Its lag is measured by {@link UnshippedCommits}.
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

	/** Earliest time of the next upload: the sync interval (at least the upload ceiling's) after the last one, or a backoff. */
	volatile Instant nextAttemptAt;

	/** Earliest start of the next upload under the upload ceiling alone; {@code null} when any time will do. */
	volatile Instant tokenAt;

	int consecutiveFailures;

	/**
	 * Where the replica was after its last successful sync: a failed sync forgets the replica position
	 * (it is re-learnt from the replica), but the lag in bytes is still measured from here.
	 */
	volatile Pos lastKnownPosition = Pos.NONE;

	boolean due(Instant now) {
		return this.nextAttemptAt == null || !now.isBefore(this.nextAttemptAt);
	}

	/** Whether the upload ceiling lets an upload start now (durability waiters ship then, due or not). */
	boolean withinCeiling(Instant now) {
		return this.tokenAt == null || !now.isBefore(this.tokenAt);
	}

	void attempted(Instant now, ReplicaOptions options, boolean failed) {
		this.lastAttemptAt = now;
		Duration minInterval = options.minUploadInterval();
		Duration syncInterval = (options.syncInterval().compareTo(minInterval) < 0) ? minInterval
				: options.syncInterval();
		this.tokenAt = minInterval.isZero() ? null : now.plus(minInterval);
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
