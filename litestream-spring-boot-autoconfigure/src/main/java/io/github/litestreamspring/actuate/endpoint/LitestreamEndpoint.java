package io.github.litestreamspring.actuate.endpoint;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

import io.github.litestreamspring.jdbc.LitestreamBackpressure;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.lifecycle.LitestreamVerification;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicationStatus;
import io.github.litestreamspring.engine.verify.VerificationResult;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.lifecycle.LitestreamFollower;
import io.github.litestreamspring.engine.follower.FollowerStatus;

/**
 * {@code /actuator/litestream}: what is replicated where ({@code GET}; what each replica holds is
 * listed at most every 30 s, see {@link ReplicaListings}), and on-demand operations
 * ({@code POST /actuator/litestream/snapshot}, {@code POST /actuator/litestream/sync},
 * {@code POST /actuator/litestream/verify}: a restore verification, returned when done;
 * {@code POST /actuator/litestream/promote}: a follower becomes the primary). At most one
 * {@code snapshot} and one {@code verify} run per database at a time: a second call meanwhile is refused
 * with {@link OperationInProgressException} (409 over HTTP, see {@link LitestreamEndpointWebExtension}).
 * Never shows a credential: replica locations come from {@link ReplicaClient#describe()}.
 */
@Endpoint(id = "litestream")
public class LitestreamEndpoint {

	private final LitestreamReplication replication;

	private List<LitestreamReplication> additional = List.of();

	private final ReplicaListings listings;

	private final ExclusiveOperations exclusive;

	public LitestreamEndpoint(LitestreamReplication replication) {
		this(replication, java.time.Clock.systemUTC());
	}

	LitestreamEndpoint(LitestreamReplication replication, java.time.Clock clock) {
		this.replication = replication;
		this.listings = new ReplicaListings(clock);
		this.exclusive = new ExclusiveOperations(clock);
	}

	@ReadOperation
	public Map<String, Object> databases() {
		List<Map<String, Object>> databases = new ArrayList<>();
		Map<String, Object> main = database(this.replication);
		addVerificationAndBackpressure(main, this.replication.status());
		databases.add(main);
		for (LitestreamReplication other : this.additional) {
			databases.add(database(other));
		}
		return Map.of("databases", databases);
	}

	private Map<String, Object> database(LitestreamReplication replication) {
		ReplicationStatus status = replication.status();
		Map<String, Object> db = new LinkedHashMap<>();
		db.put("path", status.database().toString());
		db.put("running", status.running());
		db.put("generation", status.generation());
		db.put("position", position(status.position()));
		db.put("lastSyncAt", status.lastSyncAt());
		db.put("lastError", status.lastError());
		db.put("writes", replication.writes());
		db.put("role", replication.isFollowing() ? "follower" : "primary");
		if (replication.isFollowing()) {
			db.put("follower", follower(replication.follower()));
		}
		List<Map<String, Object>> replicas = new ArrayList<>();
		for (Replica replica : replication.replicas()) {
			replicas.add(replica(replica, status));
		}
		db.put("replicas", replicas);
		return db;
	}

	/** Also lists and operates on the further databases ({@code litestream.databases[]}). */
	public LitestreamEndpoint withAdditional(List<LitestreamReplication> additional) {
		this.additional = List.copyOf(additional);
		return this;
	}

	/**
	 * Runs {@code snapshot}, {@code sync} or {@code verify} and returns what it did.
	 * @throws OperationInProgressException if a {@code snapshot} or {@code verify} already runs on a
	 * database it would touch
	 */
	@WriteOperation
	public Map<String, Object> operation(@Selector String operation) {
		if (!"promote".equals(operation) && all().stream().anyMatch(LitestreamReplication::isFollowing)) {
			throw new InvalidEndpointRequestException("A follower does not replicate",
					"This instance is a follower (litestream.role=follower): it does not replicate, so '" + operation
							+ "' runs on the primary; 'promote' makes this instance the primary");
		}
		switch (operation) {
			case "promote": {
				return promote();
			}
			case "snapshot": {
				return this.exclusive.run(operation, all().stream().map(LitestreamReplication::databasePath).toList(),
						this::snapshotAll);
			}
			case "sync": {
				Map<String, Object> result = new LinkedHashMap<>();
				result.put("position", position(this.replication.replicator().syncNow()));
				if (!this.additional.isEmpty()) {
					List<Map<String, Object>> others = new ArrayList<>();
					for (LitestreamReplication other : this.additional) {
						Map<String, Object> db = new LinkedHashMap<>();
						db.put("path", other.databasePath().toString());
						db.put("position", position(other.replicator().syncNow()));
						others.add(db);
					}
					result.put("databases", others);
				}
				return result;
			}
			case "verify": {
				if (this.verification == null) {
					throw new InvalidEndpointRequestException("Restore verification is not configured",
							"Restore verification is not configured");
				}
				return this.exclusive.run(operation, List.of(this.replication.databasePath()),
						() -> verification(this.verification.verify()));
			}
			default:
				throw new InvalidEndpointRequestException("Unknown operation '" + operation + "'",
						"Unknown operation '" + operation + "': use 'snapshot', 'sync', 'verify' or 'promote'");
		}
	}

	/**
	 * {@code POST /actuator/litestream/promote}: every database that follows its replica becomes a primary
	 * ({@link LitestreamFollower#promote()}), one after the other.
	 */
	private Map<String, Object> promote() {
		List<LitestreamReplication> following = all().stream().filter(LitestreamReplication::isFollowing).toList();
		if (following.isEmpty()) {
			throw new InvalidEndpointRequestException("Not a follower",
					"This instance is not a follower (litestream.role=follower): nothing to promote");
		}
		return this.exclusive.run("promote", following.stream().map(LitestreamReplication::databasePath).toList(),
				() -> {
					List<Map<String, Object>> promoted = new ArrayList<>();
					for (LitestreamReplication replication : following) {
						Map<String, Object> db = new LinkedHashMap<>();
						db.put("path", replication.databasePath().toString());
						db.put("position", position(replication.follower().promote()));
						promoted.add(db);
					}
					return Map.of("promoted", promoted);
				});
	}

	private static Map<String, Object> follower(LitestreamFollower follower) {
		FollowerStatus status = follower.status();
		Map<String, Object> m = new LinkedHashMap<>();
		m.put("position", position(status.position()));
		m.put("lag", status.lag().toString());
		m.put("maxLag", follower.maxLag().toString());
		m.put("lastPoll", status.lastPoll());
		m.put("lastError", status.lastError());
		m.put("switches", status.switches());
		m.put("waitingForReaders", status.waitingForReaders());
		m.put("activeCopy", String.valueOf(status.activeCopy()));
		return m;
	}

	private Map<String, Object> snapshotAll() {
		List<Map<String, Object>> written = new ArrayList<>();
		for (LitestreamReplication replication : all()) {
			List<SnapshotInfo> snapshots = replication.replicator().snapshotNow();
			List<Replica> replicas = replication.replicas();
			for (int i = 0; i < snapshots.size(); i++) {
				Map<String, Object> s = snapshot(snapshots.get(i));
				s.put("database", replication.databasePath().toString());
				s.put("replica", replicas.get(i).name());
				s.put("key", ReplicaPaths.snapshotPath("", snapshots.get(i).generation(), snapshots.get(i).index()));
				written.add(s);
			}
		}
		return Map.of("snapshots", written);
	}

	private List<LitestreamReplication> all() {
		List<LitestreamReplication> all = new ArrayList<>();
		all.add(this.replication);
		all.addAll(this.additional);
		return all;
	}

	private Map<String, Object> replica(Replica replica, ReplicationStatus status) {
		Map<String, Object> r = new LinkedHashMap<>();
		r.put("name", replica.name());
		r.put("type", replica.client().type());
		r.put("location", replica.client().describe());
		status.replicas().stream().filter((s) -> s.name().equals(replica.name())).findFirst().ifPresent((s) -> {
			r.put("position", position(s.position()));
			r.put("lastSyncAt", s.lastSyncAt());
			r.put("lag", s.lag().toString());
			r.put("lastError", s.lastError());
		});
		r.putAll(this.listings.describe(replica, this::snapshot, LitestreamEndpoint::position));
		return r;
	}

	private Map<String, Object> snapshot(SnapshotInfo s) {
		Map<String, Object> m = new LinkedHashMap<>();
		m.put("generation", s.generation());
		m.put("index", ReplicaPaths.formatIndex(s.index()));
		m.put("size", s.size());
		m.put("createdAt", s.createdAt());
		return m;
	}

	private static Map<String, Object> position(Pos pos) {
		Map<String, Object> m = new LinkedHashMap<>();
		m.put("generation", pos.generation());
		m.put("index", pos.isNone() ? null : ReplicaPaths.formatIndex(pos.index()));
		m.put("offset", pos.offset());
		return m;
	}

	// ---- restore verification and backpressure ----------------------------------------------------

	private LitestreamVerification verification;

	private LitestreamBackpressure backpressure;

	/** Enables the {@code verify} operation and shows the last verification. */
	public LitestreamEndpoint withVerification(LitestreamVerification verification) {
		this.verification = verification;
		return this;
	}

	/** Shows the backpressure policy and whether it is active. */
	public LitestreamEndpoint withBackpressure(LitestreamBackpressure backpressure) {
		this.backpressure = backpressure;
		return this;
	}

	private void addVerificationAndBackpressure(Map<String, Object> db, ReplicationStatus status) {
		VerificationResult last = (this.verification != null) ? this.verification.last() : null;
		if (last != null) {
			db.put("verification", verification(last));
		}
		if (this.backpressure != null && this.backpressure.isEnabled()) {
			Map<String, Object> b = new LinkedHashMap<>();
			b.put("policy", this.backpressure.policy().name().toLowerCase(java.util.Locale.ROOT));
			b.put("maxLag", (this.backpressure.maxLag() != null) ? this.backpressure.maxLag().toString() : null);
			b.put("maxLagBytes",
					(this.backpressure.maxLagBytes() != null) ? this.backpressure.maxLagBytes().toBytes() : null);
			String violation = this.backpressure.violation(status);
			b.put("active", violation != null);
			b.put("reason", violation);
			db.put("backpressure", b);
		}
	}

	private static Map<String, Object> verification(VerificationResult result) {
		Map<String, Object> m = new LinkedHashMap<>();
		m.put("ok", result.ok());
		m.put("at", result.at());
		m.put("position", position(result.position()));
		m.put("restoreDurationMillis", result.restoreDuration().toMillis());
		m.put("checkDurationMillis", result.checkDuration().toMillis());
		m.put("message", result.message());
		m.put("warnings", result.warnings());
		List<Map<String, Object>> replicas = new ArrayList<>();
		for (VerificationResult.ReplicaResult r : result.replicas()) {
			Map<String, Object> rm = new LinkedHashMap<>();
			rm.put("replica", r.replica());
			rm.put("ok", r.ok());
			rm.put("restoreDurationMillis", r.restoreDuration().toMillis());
			rm.put("message", r.message());
			rm.put("warning", r.warning());
			replicas.add(rm);
		}
		m.put("replicas", replicas);
		return m;
	}

}
