package io.github.litestreamspring.engine.verify;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.github.litestreamspring.engine.Pos;

/**
 * The outcome of one restore verification ({@link RestoreVerifier}): every replica restored as of one
 * position and compared with the live database at that same position.
 *
 * @param ok whether every replica restored, passed {@code PRAGMA integrity_check} and matched the live
 * database table for table
 * @param at when the verification started
 * @param position the position compared, or {@link Pos#NONE} if none could be pinned
 * @param restoreDuration the slowest replica's restore time (download, replay, integrity check): the
 * measured recovery time objective (RTO) at this database size
 * @param checkDuration time spent checksumming the restored databases
 * @param message a summary: what matched, or what failed and why
 * @param replicas one entry per replica
 */
public record VerificationResult(boolean ok, Instant at, Pos position, Duration restoreDuration,
		Duration checkDuration, String message, List<ReplicaResult> replicas) {

	public VerificationResult {
		replicas = List.copyOf(replicas);
	}

	/**
	 * What an operator should know although the verification passed, one line per replica: a restore of
	 * the latest state would skip a newer generation that has WAL but no snapshot.
	 */
	public List<String> warnings() {
		return this.replicas.stream()
			.filter((r) -> r.warning() != null)
			.map((r) -> "replica '" + r.replica() + "': " + r.warning())
			.toList();
	}

	static VerificationResult failed(Instant at, Pos position, String message) {
		return new VerificationResult(false, at, position, Duration.ZERO, Duration.ZERO, message, List.of());
	}

	/**
	 * One replica's part of a verification.
	 *
	 * @param replica the replica name
	 * @param ok whether it restored and matched
	 * @param restoreDuration its restore time
	 * @param checkDuration time spent checksumming its restored database
	 * @param message what matched, or what failed
	 * @param warning what a restore of the latest state would skip (a newer generation without
	 * snapshot, see {@code RestorePlan#skipped()}), or {@code null}
	 */
	public record ReplicaResult(String replica, boolean ok, Duration restoreDuration, Duration checkDuration,
			String message, String warning) {

		public ReplicaResult(String replica, boolean ok, Duration restoreDuration, Duration checkDuration,
				String message) {
			this(replica, ok, restoreDuration, checkDuration, message, null);
		}

	}

}
