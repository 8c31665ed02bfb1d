package io.github.litestreamspring.actuate.endpoint;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

import io.github.litestreamspring.actuate.endpoint.LitestreamDescriptors.DatabaseDescriptor;
import io.github.litestreamspring.actuate.endpoint.LitestreamDescriptors.DatabasesDescriptor;
import io.github.litestreamspring.actuate.endpoint.LitestreamDescriptors.PositionDescriptor;
import io.github.litestreamspring.actuate.endpoint.LitestreamDescriptors.ReplicaDescriptor;
import io.github.litestreamspring.actuate.endpoint.LitestreamDescriptors.VerificationDescriptor;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.lifecycle.DatabaseState;
import io.github.litestreamspring.lifecycle.LitestreamDatabase;
import io.github.litestreamspring.lifecycle.LitestreamDatabases;
import io.github.litestreamspring.lifecycle.LitestreamFollower;

/**
 * {@code /actuator/litestream}: what is replicated where ({@code GET}, every database; what each replica
 * holds is listed at most every 30 s, see {@link ReplicaListings}), and on-demand operations on every
 * database ({@code POST /actuator/litestream/snapshot}, {@code POST /actuator/litestream/sync},
 * {@code POST /actuator/litestream/verify}: a restore verification, returned when done;
 * {@code POST /actuator/litestream/promote}: a follower becomes the primary). At most one
 * {@code snapshot} and one {@code verify} run per database at a time: a second call meanwhile is refused
 * with {@link OperationInProgressException} (409 over HTTP, see {@link LitestreamEndpointWebExtension}).
 * Never shows a credential: replica locations come from {@link ReplicaClient#describe()}.
 * <p>
 * {@code sync} and {@code verify} answer with the first database's result at the top level (as when
 * there was one database) and, when there are more, the others' under {@code databases}.
 */
@Endpoint(id = "litestream")
public class LitestreamEndpoint {

	private final LitestreamDatabases databases;

	private final ReplicaListings listings;

	private final ExclusiveOperations exclusive;

	public LitestreamEndpoint(LitestreamDatabases databases) {
		this(databases, Clock.systemUTC());
	}

	LitestreamEndpoint(LitestreamDatabases databases, Clock clock) {
		this.databases = databases;
		this.listings = new ReplicaListings(clock);
		this.exclusive = new ExclusiveOperations(clock);
	}

	@ReadOperation
	public DatabasesDescriptor databases() {
		return new DatabasesDescriptor(this.databases.all().stream().map(this::database).toList());
	}

	private DatabaseDescriptor database(LitestreamDatabase database) {
		DatabaseState state = database.state();
		List<ReplicaDescriptor> replicas = new ArrayList<>();
		for (Replica replica : database.replication().replicas()) {
			replicas.add(ReplicaDescriptor.of(replica, state.status(),
					this.listings.describe(replica, LitestreamEndpoint::snapshot, LitestreamEndpoint::position)));
		}
		return DatabaseDescriptor.of(state, replicas);
	}

	/**
	 * Runs {@code snapshot}, {@code sync} or {@code verify} on every database and returns what it did.
	 * @throws OperationInProgressException if a {@code snapshot} or {@code verify} already runs on a
	 * database it would touch
	 */
	@WriteOperation
	public Map<String, Object> operation(@Selector String operation) {
		List<Path> paths = this.databases.all().stream().map(LitestreamDatabase::path).toList();
		boolean following = this.databases.all().stream().anyMatch((d) -> d.replication().isFollowing());
		if (!"promote".equals(operation) && following) {
			throw new InvalidEndpointRequestException("A follower does not replicate",
					"This instance is a follower (litestream.role=follower): it does not replicate, so '" + operation
							+ "' runs on the primary; 'promote' makes this instance the primary");
		}
		return switch (operation) {
			case "promote" -> promote();
			case "snapshot" -> this.exclusive.run(operation, paths, this::snapshotAll);
			case "sync" -> eachDatabase("position", (d) -> position(d.replication().replicator().syncNow()));
			case "verify" -> this.exclusive.run(operation, paths, () -> eachDatabase("verification",
					(d) -> VerificationDescriptor.of(d.verification().verify())));
			default -> throw new InvalidEndpointRequestException("Unknown operation '" + operation + "'",
					"Unknown operation '" + operation + "': use 'snapshot', 'sync', 'verify' or 'promote'");
		};
	}

	/**
	 * Runs {@code action} on every database: the first's result under {@code key} (for {@code verify},
	 * its components at the top level, the answer it always had), the others' in {@code databases}.
	 */
	private Map<String, Object> eachDatabase(String key, Function<LitestreamDatabase, Object> action) {
		Map<String, Object> result = new LinkedHashMap<>();
		List<Map<String, Object>> others = new ArrayList<>();
		for (LitestreamDatabase database : this.databases.all()) {
			Object done = action.apply(database);
			if (result.isEmpty()) {
				if (done instanceof VerificationDescriptor verification) {
					result.putAll(verificationMap(verification));
				}
				else {
					result.put(key, done);
				}
				continue;
			}
			Map<String, Object> db = new LinkedHashMap<>();
			db.put("path", database.path().toString());
			db.put(key, done);
			others.add(db);
		}
		if (!others.isEmpty()) {
			result.put("databases", others);
		}
		return result;
	}

	/**
	 * {@code POST /actuator/litestream/promote}: every database that follows its replica becomes a primary
	 * ({@link LitestreamFollower#promote()}), one after the other.
	 */
	private Map<String, Object> promote() {
		List<LitestreamDatabase> following = this.databases.all()
			.stream()
			.filter((d) -> d.replication().isFollowing())
			.toList();
		if (following.isEmpty()) {
			throw new InvalidEndpointRequestException("Not a follower",
					"This instance is not a follower (litestream.role=follower): nothing to promote");
		}
		return this.exclusive.run("promote", following.stream().map(LitestreamDatabase::path).toList(), () -> {
			List<Map<String, Object>> promoted = new ArrayList<>();
			for (LitestreamDatabase database : following) {
				Map<String, Object> db = new LinkedHashMap<>();
				db.put("path", database.path().toString());
				db.put("position", position(database.replication().follower().promote()));
				promoted.add(db);
			}
			return Map.of("promoted", promoted);
		});
	}

	private static Map<String, Object> verificationMap(VerificationDescriptor v) {
		Map<String, Object> m = new LinkedHashMap<>();
		m.put("ok", v.ok());
		m.put("at", v.at());
		m.put("position", v.position());
		m.put("restoreDurationMillis", v.restoreDurationMillis());
		m.put("checkDurationMillis", v.checkDurationMillis());
		m.put("message", v.message());
		m.put("warnings", v.warnings());
		m.put("replicas", v.replicas());
		return m;
	}

	private Map<String, Object> snapshotAll() {
		List<Map<String, Object>> written = new ArrayList<>();
		for (LitestreamDatabase database : this.databases.all()) {
			List<SnapshotInfo> snapshots = database.replication().replicator().snapshotNow();
			List<Replica> replicas = database.replication().replicas();
			for (int i = 0; i < snapshots.size(); i++) {
				Map<String, Object> s = snapshot(snapshots.get(i));
				s.put("database", database.path().toString());
				s.put("replica", replicas.get(i).name());
				s.put("key", ReplicaPaths.snapshotPath("", snapshots.get(i).generation(), snapshots.get(i).index()));
				written.add(s);
			}
		}
		return Map.of("snapshots", written);
	}

	private static Map<String, Object> snapshot(SnapshotInfo s) {
		Map<String, Object> m = new LinkedHashMap<>();
		m.put("generation", s.generation());
		m.put("index", ReplicaPaths.formatIndex(s.index()));
		m.put("size", s.size());
		m.put("createdAt", s.createdAt());
		return m;
	}

	private static Map<String, Object> position(Pos pos) {
		PositionDescriptor p = PositionDescriptor.of(pos);
		Map<String, Object> m = new LinkedHashMap<>();
		m.put("generation", p.generation());
		m.put("index", p.index());
		m.put("offset", p.offset());
		return m;
	}

}
