package io.github.litestreamspring.lifecycle;

import java.time.Duration;
import java.util.Locale;

import org.springframework.util.unit.DataSize;

import io.github.litestreamspring.engine.follower.FollowerStatus;
import io.github.litestreamspring.engine.replication.ReplicationStatus;
import io.github.litestreamspring.engine.verify.VerificationResult;

/**
 * One database as health and the endpoint show it, read once: the engine's status, whether the
 * application may write, the last restore verification and the backpressure state. Both render this
 * one read model; neither reads the engine itself.
 *
 * @param name the database's name ({@code litestream.databases[].name}, else its file's name)
 * @param status the engine's status
 * @param writes {@code open}, {@code paused: <reason>} or {@code closed: <reason>}
 * @param verification the last restore verification, {@code null} before the first
 * @param backpressure the backpressure state, {@code null} when no limit is configured
 * @param follower the follower's state ({@code litestream.role=follower}), {@code null} for a primary
 */
public record DatabaseState(String name, ReplicationStatus status, String writes, VerificationResult verification,
		Backpressure backpressure, Follower follower) {

	/** {@code primary} or {@code follower}. */
	public String role() {
		return (this.follower != null) ? "follower" : "primary";
	}

	/**
	 * A follower: where it is and how stale its data may be.
	 * @param status the engine follower's status
	 * @param maxLag {@code litestream.follower.max-lag}: health is DOWN at or beyond it
	 */
	public record Follower(FollowerStatus status, Duration maxLag) {

		/** Why the follower is unhealthy, or {@code null} while its data is fresher than {@code maxLag}. */
		public String problem() {
			if (this.status.lag().compareTo(this.maxLag) < 0) {
				return null;
			}
			return "the follower's data is " + this.status.lag() + " stale (litestream.follower.max-lag=" + this.maxLag
					+ ")" + ((this.status.lastError() != null) ? ": " + this.status.lastError()
							: this.status.waitingForReaders() ? ": a connection keeps the idle copy open (a long read)" : "");
		}

	}

	/**
	 * The {@code litestream.backpressure} limits and whether replication is over one now.
	 * @param policy {@code degrade}, {@code throttle} or {@code fail}
	 * @param maxLag the time limit, or {@code null}
	 * @param maxLagBytes the WAL-bytes limit, or {@code null}
	 * @param violation why replication is over a limit, or {@code null} when it is not
	 */
	public record Backpressure(String policy, Duration maxLag, DataSize maxLagBytes, String violation) {

		public Backpressure {
			policy = policy.toLowerCase(Locale.ROOT);
		}

		/** Whether replication is over a limit. */
		public boolean active() {
			return this.violation != null;
		}

	}

}
