package io.github.litestreamspring.engine.lease;

import java.time.Duration;

/**
 * Why a replica may not be written, in words for the log, the health and the error the application
 * gets: one sentence per {@link LeaseState}, naming the lease, its holder and the last error.
 */
final class LeaseRefusal {

	private LeaseRefusal() {
	}

	/**
	 * @param state the lease's state (a {@link LeaseState#HELD} lease is refused only once expired)
	 * @param location the lease object, e.g. {@code s3://bucket/app.db/lease.json}
	 * @param holder who holds it, as {@link LeaseContent#describe()} words it
	 * @param owner this instance's owner id
	 * @param handedOver what this instance handed over, or {@code null}
	 * @param sinceRenewal time since the last successful renewal started
	 * @param lastError the last error, or {@code null}
	 */
	static String describe(LeaseState state, String location, String holder, String owner, LeaseContent handedOver,
			Duration sinceRenewal, String lastError) {
		String error = (lastError != null) ? " (last error: " + lastError + ")" : "";
		return switch (state) {
			case NEW -> "lease on " + location + " not acquired yet" + error;
			case WAITING -> "waiting for the lease on " + location + ", held by " + holder + error;
			case LOST -> "lease on " + location + " lost to " + holder + "; not writing until it is free again" + error;
			case HANDED_OVER -> "lease on " + location + " handed over"
					+ ((handedOver != null) ? " to owner " + handedOver.owner() + " at " + handedOver.position()
							: " (released for the new owner)")
					+ "; this instance no longer writes" + error;
			case HELD -> "lease on " + location + " (ours, owner " + owner + ") expired: not renewed for " + sinceRenewal
					+ "; not writing until a renewal succeeds" + error;
		};
	}

}
