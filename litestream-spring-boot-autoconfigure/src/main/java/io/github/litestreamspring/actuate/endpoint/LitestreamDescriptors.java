package io.github.litestreamspring.actuate.endpoint;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.follower.FollowerStatus;
import io.github.litestreamspring.engine.replication.ReplicationStatus;
import io.github.litestreamspring.engine.verify.VerificationResult;
import io.github.litestreamspring.lifecycle.DatabaseState;

/**
 * What {@code GET /actuator/litestream} answers, as immutable descriptors rendered from each database's
 * {@link DatabaseState}. A {@code null} component is left out of the JSON (the actuator's mapper omits
 * nulls), as the keys of the maps this replaced were.
 */
public final class LitestreamDescriptors {

	private LitestreamDescriptors() {
	}

	/** Every replicated database, the DataSource's first. */
	public record DatabasesDescriptor(List<DatabaseDescriptor> databases) {

	}

	/**
	 * One database. {@code verification} is {@code null} before the first restore verification,
	 * {@code backpressure} when no limit is configured.
	 */
	public record DatabaseDescriptor(String name, String path, boolean running, String generation,
			PositionDescriptor position, Instant lastSyncAt, String lastError, String writes,
			List<ReplicaDescriptor> replicas, VerificationDescriptor verification,
			BackpressureDescriptor backpressure, String role, FollowerDescriptor follower) {

		static DatabaseDescriptor of(DatabaseState state, List<ReplicaDescriptor> replicas) {
			ReplicationStatus status = state.status();
			VerificationResult last = state.verification();
			DatabaseState.Backpressure b = state.backpressure();
			return new DatabaseDescriptor(state.name(), status.database().toString(), status.running(),
					status.generation(), PositionDescriptor.of(status.position()), status.lastSyncAt(),
					status.lastError(), state.writes(), replicas, (last != null) ? VerificationDescriptor.of(last) : null,
					(b != null) ? new BackpressureDescriptor(b.policy(),
							(b.maxLag() != null) ? b.maxLag().toString() : null,
							(b.maxLagBytes() != null) ? b.maxLagBytes().toBytes() : null, b.active(), b.violation())
							: null,
					state.role(), (state.follower() != null) ? FollowerDescriptor.of(state.follower()) : null);
		}

		/** Like the JSON: the parts that are absent are left out. */
		@Override
		public String toString() {
			return "DatabaseDescriptor[name=" + this.name + ", path=" + this.path + ", running=" + this.running
					+ ", generation=" + this.generation + ", position=" + this.position + ", lastSyncAt="
					+ this.lastSyncAt + ", lastError=" + this.lastError + ", writes=" + this.writes + ", replicas="
					+ this.replicas + ((this.verification != null) ? ", verification=" + this.verification : "")
					+ ((this.backpressure != null) ? ", backpressure=" + this.backpressure : "") + ", role=" + this.role
					+ ((this.follower != null) ? ", follower=" + this.follower : "") + "]";
		}

	}

	/**
	 * A follower ({@code litestream.role=follower}): the state it serves and how stale it may be.
	 */
	public record FollowerDescriptor(PositionDescriptor position, String lag, String maxLag, Instant lastPoll,
			String lastError, long switches, boolean waitingForReaders, String activeCopy) {

		static FollowerDescriptor of(DatabaseState.Follower follower) {
			FollowerStatus s = follower.status();
			return new FollowerDescriptor(PositionDescriptor.of(s.position()), s.lag().toString(),
					follower.maxLag().toString(), s.lastPoll(), s.lastError(), s.switches(), s.waitingForReaders(),
					String.valueOf(s.activeCopy()));
		}

	}

	/**
	 * One replica: where it is, where it has got to, and what it holds ({@link ReplicaListings}: either
	 * {@code generations} or, when the listing failed, {@code generationsError}).
	 */
	public record ReplicaDescriptor(String name, String type, String location, PositionDescriptor position,
			Instant lastSyncAt, String lag, String lastError, Object listedAt, Object generations,
			Object generationsError) {

		static ReplicaDescriptor of(Replica replica, ReplicationStatus status, Map<String, Object> listing) {
			ReplicationStatus.Replica s = status.replicas()
				.stream()
				.filter((r) -> r.name().equals(replica.name()))
				.findFirst()
				.orElse(null);
			return new ReplicaDescriptor(replica.name(), replica.client().type(), replica.client().describe(),
					(s != null) ? PositionDescriptor.of(s.position()) : null, (s != null) ? s.lastSyncAt() : null,
					(s != null) ? s.lag().toString() : null, (s != null) ? s.lastError() : null,
					listing.get("listedAt"), listing.get("generations"), listing.get("generationsError"));
		}

	}

	/** A position; {@code index} is Litestream's 8 hex digits, {@code null} before the first. */
	public record PositionDescriptor(String generation, String index, long offset) {

		static PositionDescriptor of(Pos pos) {
			return new PositionDescriptor(pos.generation(), pos.isNone() ? null : ReplicaPaths.formatIndex(pos.index()),
					pos.offset());
		}

	}

	/** The last restore verification. */
	public record VerificationDescriptor(boolean ok, Instant at, PositionDescriptor position,
			long restoreDurationMillis, long checkDurationMillis, String message, List<String> warnings,
			List<ReplicaVerificationDescriptor> replicas) {

		static VerificationDescriptor of(VerificationResult result) {
			return new VerificationDescriptor(result.ok(), result.at(), PositionDescriptor.of(result.position()),
					result.restoreDuration().toMillis(), result.checkDuration().toMillis(), result.message(),
					result.warnings(),
					result.replicas()
						.stream()
						.map((r) -> new ReplicaVerificationDescriptor(r.replica(), r.ok(),
								r.restoreDuration().toMillis(), r.message(), r.warning()))
						.toList());
		}

	}

	/** One replica's part of a restore verification. */
	public record ReplicaVerificationDescriptor(String replica, boolean ok, long restoreDurationMillis,
			String message, String warning) {

	}

	/** The backpressure limits and whether replication is over one ({@code reason}). */
	public record BackpressureDescriptor(String policy, String maxLag, Long maxLagBytes, boolean active,
			String reason) {

	}

}
