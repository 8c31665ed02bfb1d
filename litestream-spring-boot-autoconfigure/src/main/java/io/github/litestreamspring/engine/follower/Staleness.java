package io.github.litestreamspring.engine.follower;

import java.time.Duration;
import java.time.Instant;

/**
 * How stale a follower's served state may be, from the replica's object timestamps and the follower's
 * listings: while the replica is known to hold objects the served copy lacks, the time since the oldest
 * of them was written (the primary committed it at most then); otherwise the time since a listing last
 * showed nothing newer. So an idle primary does not make a caught-up follower look stale, and a follower
 * that cannot list the replica (an outage) or cannot apply (a long read) grows stale by the clock.
 */
final class Staleness {

	private volatile Instant confirmedAt;

	private volatile Instant pendingSince;

	/** A listing at {@code listedAt} showed nothing the served copy lacks (or it now holds all it showed). */
	void caughtUp(Instant listedAt) {
		this.confirmedAt = listedAt;
		this.pendingSince = null;
	}

	/** The replica holds an object written at {@code written} that the served copy lacks. */
	void behindSince(Instant written) {
		Instant since = this.pendingSince;
		this.pendingSince = (since == null || written.isBefore(since)) ? written : since;
	}

	Duration lag() {
		Instant since = (this.pendingSince != null) ? this.pendingSince : this.confirmedAt;
		if (since == null) {
			return Duration.ZERO;
		}
		Duration lag = Duration.between(since, Instant.now());
		return lag.isNegative() ? Duration.ZERO : lag;
	}

}
