package io.github.litestreamspring.health;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import io.github.litestreamspring.engine.follower.FollowerStatus;
import io.github.litestreamspring.engine.replication.ReplicationStatus;
import io.github.litestreamspring.engine.verify.VerificationResult;
import io.github.litestreamspring.lifecycle.DatabaseState;
import io.github.litestreamspring.lifecycle.LitestreamDatabase;

/**
 * {@code /actuator/health/litestream/<name>}, one database: UP while every replica keeps up; DOWN with
 * the reason when the local sync or a replica's uploads fail, a replica has been behind for longer than
 * the allowed lag or fell behind the local shadow WAL bound (it then resumes from a new snapshot; the
 * restore points in between are missing from it), the last restore verification failed, or replication
 * is over a backpressure limit. Renders the database's {@link DatabaseState}; reads nothing else.
 */
public class DatabaseHealthIndicator extends AbstractHealthIndicator {

	private final LitestreamDatabase database;

	private final Duration maxLag;

	DatabaseHealthIndicator(LitestreamDatabase database, Duration maxLag) {
		super("Litestream health check failed");
		this.database = database;
		this.maxLag = maxLag;
	}

	LitestreamDatabase database() {
		return this.database;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		DatabaseState state = this.database.state();
		if (state.follower() != null) {
			follower(builder, state);
			return;
		}
		ReplicationStatus status = state.status();
		builder.withDetail("database", status.database().toString());
		builder.withDetail("generation", String.valueOf(status.generation()));
		builder.withDetail("position", status.position().toString());
		if (status.lastSyncAt() != null) {
			builder.withDetail("lastSyncAt", status.lastSyncAt().toString());
		}
		builder.withDetail("writes", state.writes());
		String reason = null;
		if (!status.running()) {
			reason = "replication is not running";
		}
		else if (status.lastError() != null) {
			reason = status.lastError();
		}
		Map<String, Object> replicas = new LinkedHashMap<>();
		for (ReplicationStatus.Replica replica : status.replicas()) {
			replicas.put(replica.name(), replica(replica));
			if (reason == null) {
				reason = problem(replica);
			}
		}
		builder.withDetail("replicas", replicas);
		VerificationResult last = state.verification();
		if (last != null) {
			builder.withDetail("verification", verification(last));
			if (!last.ok() && reason == null) {
				reason = "last restore verification failed: " + last.message();
			}
		}
		DatabaseState.Backpressure backpressure = state.backpressure();
		if (backpressure != null) {
			builder.withDetail("backpressure", backpressure(backpressure));
			if (backpressure.active() && reason == null) {
				reason = backpressure.violation();
			}
		}
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
	private static void follower(Health.Builder builder, DatabaseState state) {
		FollowerStatus status = state.follower().status();
		builder.withDetail("database", status.database().toString());
		builder.withDetail("role", state.role());
		builder.withDetail("generation", String.valueOf(status.position().generation()));
		builder.withDetail("position", status.position().toString());
		builder.withDetail("lag", status.lag().toString());
		builder.withDetail("maxLag", state.follower().maxLag().toString());
		builder.withDetail("writes", state.writes());
		if (status.lastPoll() != null) {
			builder.withDetail("lastPoll", status.lastPoll().toString());
		}
		if (status.lastError() != null) {
			builder.withDetail("lastError", status.lastError());
		}
		if (status.waitingForReaders()) {
			builder.withDetail("waitingForReaders", true);
		}
		String reason = state.follower().problem();
		if (reason != null) {
			builder.down().withDetail("reason", reason);
		}
		else {
			builder.up();
		}
	}

	private static Map<String, Object> replica(ReplicationStatus.Replica replica) {
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
		}
		if (replica.warning() != null) {
			details.put("warning", replica.warning());
		}
		return details;
	}

	/** Why the replica makes the database DOWN: its last error, its warning, or its lag; else {@code null}. */
	private String problem(ReplicationStatus.Replica replica) {
		if (replica.lastError() != null) {
			return replica.lastError();
		}
		if (replica.warning() != null) {
			return replica.warning();
		}
		if (replica.lag().compareTo(this.maxLag) > 0) {
			return "replica '" + replica.name() + "' has been behind for " + replica.lag()
					+ " (more than litestream.health.max-lag=" + this.maxLag + ")";
		}
		return null;
	}

	private static Map<String, Object> verification(VerificationResult last) {
		Map<String, Object> details = new LinkedHashMap<>();
		details.put("ok", last.ok());
		details.put("at", last.at().toString());
		details.put("position", last.position().toString());
		details.put("restoreDuration", last.restoreDuration().toString());
		details.put("message", last.message());
		if (!last.warnings().isEmpty()) {
			details.put("warnings", last.warnings());
		}
		return details;
	}

	private static Map<String, Object> backpressure(DatabaseState.Backpressure backpressure) {
		Map<String, Object> details = new LinkedHashMap<>();
		details.put("policy", backpressure.policy());
		if (backpressure.maxLag() != null) {
			details.put("maxLag", backpressure.maxLag().toString());
		}
		if (backpressure.maxLagBytes() != null) {
			details.put("maxLagBytes", backpressure.maxLagBytes().toBytes());
		}
		details.put("active", backpressure.active());
		return details;
	}

}
