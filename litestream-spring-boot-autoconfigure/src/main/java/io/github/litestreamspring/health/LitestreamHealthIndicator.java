package io.github.litestreamspring.health;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import io.github.litestreamspring.jdbc.LitestreamBackpressure;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.lifecycle.LitestreamVerification;
import io.github.litestreamspring.engine.replication.ReplicationStatus;
import io.github.litestreamspring.engine.verify.VerificationResult;
import io.github.litestreamspring.lifecycle.LitestreamFollower;
import io.github.litestreamspring.engine.follower.FollowerStatus;

/**
 * {@code /actuator/health/litestream}: UP while every replica keeps up; DOWN with the reason when the
 * local sync or a replica's uploads fail, a replica has been behind for longer than the allowed lag, or
 * it fell behind the local shadow WAL bound (it then resumes from a new snapshot; the restore points in
 * between are missing from it).
 * Reads engine status only.
 */
public class LitestreamHealthIndicator extends AbstractHealthIndicator {

	private final LitestreamReplication replication;

	private final Duration maxLag;

	public LitestreamHealthIndicator(LitestreamReplication replication, Duration maxLag) {
		super("Litestream health check failed");
		this.replication = replication;
		this.maxLag = maxLag;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		if (this.replication.isFollowing()) {
			follower(builder, this.replication.follower());
			return;
		}
		ReplicationStatus status = this.replication.status();
		builder.withDetail("database", status.database().toString());
		builder.withDetail("generation", String.valueOf(status.generation()));
		builder.withDetail("position", status.position().toString());
		if (status.lastSyncAt() != null) {
			builder.withDetail("lastSyncAt", status.lastSyncAt().toString());
		}
		builder.withDetail("writes", this.replication.writes());
		String reason = null;
		if (!status.running()) {
			reason = "replication is not running";
		}
		else if (status.lastError() != null) {
			reason = status.lastError();
		}
		Map<String, Object> replicas = new LinkedHashMap<>();
		for (ReplicationStatus.Replica replica : status.replicas()) {
			Map<String, Object> details = new LinkedHashMap<>();
			details.put("type", replica.type());
			details.put("location", replica.location());
			details.put("position", replica.position().toString());
			details.put("lag", replica.lag().toString());
			if (replica.lastSyncAt() != null) {
				details.put("lastSyncAt", replica.lastSyncAt().toString());
			}
			if (replica.lastError() != null) {
				details.put("lastError", replica.lastError());
				details.put("lastErrorAt", String.valueOf(replica.lastErrorAt()));
				if (reason == null) {
					reason = replica.lastError();
				}
			}
			if (replica.warning() != null) {
				details.put("warning", replica.warning());
				if (reason == null) {
					reason = replica.warning();
				}
			}
			if (replica.lastError() == null && replica.lag().compareTo(this.maxLag) > 0 && reason == null) {
				reason = "replica '" + replica.name() + "' has been behind for " + replica.lag()
						+ " (more than litestream.health.max-lag=" + this.maxLag + ")";
			}
			replicas.put(replica.name(), details);
		}
		builder.withDetail("replicas", replicas);
		reason = verificationAndBackpressure(builder, status, reason);
		reason = additionalDatabases(builder, reason);
		if (reason != null) {
			builder.down().withDetail("reason", reason);
		}
		else {
			builder.up();
		}
	}

	/**
	 * A follower ({@code litestream.role=follower}): UP while its data is less stale than
	 * {@code litestream.follower.max-lag}, DOWN with the reason (the replica cannot be read, a long read
	 * holds the idle copy, or the primary writes faster than it applies) otherwise.
	 */
	private void follower(Health.Builder builder, LitestreamFollower follower) {
		FollowerStatus status = follower.status();
		builder.withDetail("database", status.database().toString());
		builder.withDetail("role", "follower");
		builder.withDetail("generation", String.valueOf(status.position().generation()));
		builder.withDetail("position", status.position().toString());
		builder.withDetail("lag", status.lag().toString());
		builder.withDetail("maxLag", follower.maxLag().toString());
		builder.withDetail("writes", this.replication.writes());
		if (status.lastPoll() != null) {
			builder.withDetail("lastPoll", status.lastPoll().toString());
		}
		if (status.lastError() != null) {
			builder.withDetail("lastError", status.lastError());
		}
		if (status.waitingForReaders()) {
			builder.withDetail("waitingForReaders", true);
		}
		String reason = null;
		if (status.lag().compareTo(follower.maxLag()) >= 0) {
			reason = "the follower's data is " + status.lag() + " stale (litestream.follower.max-lag="
					+ follower.maxLag() + ")" + ((status.lastError() != null) ? ": " + status.lastError()
							: status.waitingForReaders() ? ": a connection keeps the idle copy open (a long read)" : "");
		}
		reason = additionalDatabases(builder, reason);
		if (reason != null) {
			builder.down().withDetail("reason", reason);
		}
		else {
			builder.up();
		}
	}

	// ---- further databases (litestream.databases[]) ---------------------------------------------------

	private List<LitestreamHealthIndicator> additional = List.of();

	/** Also reports the further databases: DOWN while any of them is. */
	public LitestreamHealthIndicator withAdditional(List<LitestreamHealthIndicator> additional) {
		this.additional = List.copyOf(additional);
		return this;
	}

	private String additionalDatabases(Health.Builder builder, String reason) {
		if (this.additional.isEmpty()) {
			return reason;
		}
		Map<String, Object> databases = new LinkedHashMap<>();
		for (LitestreamHealthIndicator indicator : this.additional) {
			Health health = indicator.health(true);
			Map<String, Object> details = new LinkedHashMap<>(health.getDetails());
			details.put("status", health.getStatus().getCode());
			String name = indicator.replication.databasePath().toString();
			databases.put(name, details);
			if (reason == null && Status.DOWN.equals(health.getStatus())) {
				reason = "database " + name + ": " + health.getDetails().get("reason");
			}
		}
		builder.withDetail("databases", databases);
		return reason;
	}

	// ---- restore verification and backpressure ----------------------------------------------------

	private LitestreamVerification verification;

	private LitestreamBackpressure backpressure;

	/** Also reports the last restore verification: DOWN while the last one failed. */
	public LitestreamHealthIndicator withVerification(LitestreamVerification verification) {
		this.verification = verification;
		return this;
	}

	/** Also reports the backpressure policy: DOWN while replication is over a configured limit. */
	public LitestreamHealthIndicator withBackpressure(LitestreamBackpressure backpressure) {
		this.backpressure = backpressure;
		return this;
	}

	private String verificationAndBackpressure(Health.Builder builder, ReplicationStatus status, String reason) {
		VerificationResult last = (this.verification != null) ? this.verification.last() : null;
		if (last != null) {
			Map<String, Object> details = new LinkedHashMap<>();
			details.put("ok", last.ok());
			details.put("at", last.at().toString());
			details.put("position", last.position().toString());
			details.put("restoreDuration", last.restoreDuration().toString());
			details.put("message", last.message());
			if (!last.warnings().isEmpty()) {
				details.put("warnings", last.warnings());
			}
			builder.withDetail("verification", details);
			if (!last.ok() && reason == null) {
				reason = "last restore verification failed: " + last.message();
			}
		}
		if (this.backpressure != null && this.backpressure.isEnabled()) {
			String violation = this.backpressure.violation(status);
			Map<String, Object> details = new LinkedHashMap<>();
			details.put("policy", this.backpressure.policy().name().toLowerCase(java.util.Locale.ROOT));
			if (this.backpressure.maxLag() != null) {
				details.put("maxLag", this.backpressure.maxLag().toString());
			}
			if (this.backpressure.maxLagBytes() != null) {
				details.put("maxLagBytes", this.backpressure.maxLagBytes().toBytes());
			}
			details.put("active", violation != null);
			builder.withDetail("backpressure", details);
			if (violation != null && reason == null) {
				reason = violation;
			}
		}
		return reason;
	}

}
