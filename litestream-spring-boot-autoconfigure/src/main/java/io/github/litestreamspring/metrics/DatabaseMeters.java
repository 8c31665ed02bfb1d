package io.github.litestreamspring.metrics;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;

import io.github.litestreamspring.jdbc.LitestreamBackpressure;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.lifecycle.LitestreamVerification;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicationListener;
import io.github.litestreamspring.engine.replication.ReplicationStatus;
import io.github.litestreamspring.engine.db.CheckpointMode;
import io.github.litestreamspring.engine.db.SyncResult;
import io.github.litestreamspring.engine.replica.ObservedReplicaClient;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.restore.RestoreResult;

/**
 * The meters of one replicated database (see {@link LitestreamMetrics}), tagged with its name (and the
 * replica name where it applies); also the listener of its engine's events.
 */
final class DatabaseMeters implements ReplicationListener {

	private static final String PREFIX = LitestreamMetrics.PREFIX;

	private final MeterRegistry registry;

	private final LitestreamReplication replication;

	/** The lease states, one gauge each (1 for the current state). */
	private static final String[] LEASE_STATES = { "new", "held", "waiting", "lost", "handed_over" };

	private final Tags databaseTags;

	private final String databaseName;

	private final LitestreamObservations observations;

	/**
	 * Registers the database's meters.
	 * @param restore what the startup restore did for this database, {@code null} when nothing ran
	 */
	DatabaseMeters(MeterRegistry registry, LitestreamReplication replication, Supplier<RestoreResult> restore,
			LitestreamObservations observations) {
		this.registry = registry;
		this.replication = replication;
		this.observations = observations;
		this.databaseName = LitestreamObservations.databaseName(replication);
		this.databaseTags = Tags.of("database", this.databaseName);
		Gauge.builder(PREFIX + "wal.index", replication, (r) -> r.status().position().index())
			.description("Current local WAL index (shadow WAL)")
			.tags(this.databaseTags)
			.register(registry);
		Gauge.builder(PREFIX + "wal.offset", replication, (r) -> r.status().position().offset())
			.description("Size of the current local shadow WAL index in bytes")
			.baseUnit("bytes")
			.tags(this.databaseTags)
			.register(registry);
		for (Replica replica : replication.replicas()) {
			Tags tags = replicaTags(replica);
			Gauge.builder(PREFIX + "replica.wal.index", replica, (r) -> r.position().index())
				.description("WAL index the replica has reached")
				.tags(tags)
				.register(registry);
			Gauge.builder(PREFIX + "replica.wal.offset", replica, (r) -> r.position().offset())
				.description("Offset inside that WAL index the replica has reached")
				.baseUnit("bytes")
				.tags(tags)
				.register(registry);
			TimeGauge.builder(PREFIX + "replica.lag", replication, TimeUnit.SECONDS, (r) -> lagSeconds(r, replica))
				.description("How long the replica has been behind the local database")
				.tags(tags)
				.register(registry);
			Gauge.builder(PREFIX + "replica.last.sync.time", replica, this::lastSync)
				.description("Unix time of the replica's last successful sync (NaN before the first)")
				.baseUnit("seconds")
				.tags(tags)
				.register(registry);
			for (String state : LEASE_STATES) {
				Gauge.builder(PREFIX + "replica.lease", replica, (r) -> leaseState(r, state))
					.description("1 for the replica lease's current state (held, waiting for another instance, lost "
							+ "to another instance, not tried yet), else 0; NaN when leases are off or replication stopped")
					.tags(tags.and("state", state))
					.register(registry);
			}
			// Created eagerly so that dashboards see zeros rather than missing series.
			walBytes(replica);
			replicaSyncErrors(replica);
		}
		// Created eagerly so that rates start from zero.
		syncErrors();
		generations();
		if (replication.follower() != null) {
			TimeGauge.builder(PREFIX + "follower.lag", replication, TimeUnit.SECONDS, DatabaseMeters::followerLagSeconds)
				.description("How stale a follower's data may be: time since the oldest replica object it has not "
						+ "applied was written, or since it last saw the replica hold nothing newer (NaN once promoted)")
				.tags(this.databaseTags)
				.register(registry);
		}
		if (restore != null) {
			TimeGauge.builder(PREFIX + "restore.duration", restore, TimeUnit.MILLISECONDS, (r) -> restoreMillis(r.get()))
				.description("Duration of the restore at startup (0 when nothing was restored)")
				.tags(this.databaseTags)
				.register(registry);
		}
	}

	private static double followerLagSeconds(LitestreamReplication replication) {
		return replication.isFollowing() ? replication.follower().status().lag().toNanos() / 1e9 : Double.NaN;
	}

	private static double lagSeconds(LitestreamReplication replication, Replica replica) {
		ReplicationStatus status = replication.status();
		return status.replicas()
			.stream()
			.filter((s) -> s.name().equals(replica.name()))
			.mapToDouble((s) -> s.lag().toMillis() / 1000.0)
			.findFirst()
			.orElse(0);
	}

	private double leaseState(Replica replica, String state) {
		String current = this.replication.replicator().leaseState(replica);
		if (current == null) {
			return Double.NaN;
		}
		return current.equals(state) ? 1 : 0;
	}

	private static double restoreMillis(RestoreResult result) {
		return (result != null && result.outcome() == RestoreResult.Outcome.RESTORED) ? result.duration().toMillis()
				: 0;
	}

	private Tags replicaTags(Replica replica) {
		return this.databaseTags.and("replica", replica.name());
	}

	private Counter syncErrors() {
		return Counter.builder(PREFIX + "sync.errors")
			.description("Failed local syncs (WAL into the shadow WAL) and checkpoints")
			.tags(this.databaseTags)
			.register(this.registry);
	}

	private Counter generations() {
		return Counter.builder(PREFIX + "generations")
			.description("Generations started (each begins with a snapshot upload)")
			.tags(this.databaseTags)
			.register(this.registry);
	}

	private Counter walBytes(Replica replica) {
		return Counter.builder(PREFIX + "replica.wal.bytes")
			.description("Uncompressed WAL bytes shipped to the replica")
			.baseUnit("bytes")
			.tags(replicaTags(replica))
			.register(this.registry);
	}

	private Counter replicaSyncErrors(Replica replica) {
		return Counter.builder(PREFIX + "replica.sync.errors")
			.description("Failed replica syncs")
			.tags(replicaTags(replica))
			.register(this.registry);
	}

	@Override
	public void onSync(SyncResult result, long nanos) {
		Timer.builder(PREFIX + "sync")
			.description("Local syncs of the WAL into the shadow WAL")
			.tags(this.databaseTags)
			.register(this.registry)
			.record(nanos, TimeUnit.NANOSECONDS);
	}

	@Override
	public void onSyncError(Exception error) {
		syncErrors().increment();
	}

	@Override
	public void onCheckpoint(CheckpointMode mode, boolean walRestarted, long nanos) {
		Timer.builder(PREFIX + "checkpoint")
			.description("Checkpoints run by the engine")
			.tags(this.databaseTags.and("mode", mode.name().toLowerCase(Locale.ROOT)))
			.register(this.registry)
			.record(nanos, TimeUnit.NANOSECONDS);
	}

	@Override
	public void onNewGeneration(String generation, String reason) {
		generations().increment();
	}

	@Override
	public void onWalSegment(Replica replica, WalSegmentInfo segment, long bytes, long nanos) {
		walBytes(replica).increment(bytes);
		Timer.builder(PREFIX + "replica.wal.segments")
			.description("WAL segment uploads")
			.tags(replicaTags(replica))
			.register(this.registry)
			.record(nanos, TimeUnit.NANOSECONDS);
	}

	@Override
	public Timing begin(Work work, Replica replica) {
		return this.observations.begin(work, this.databaseName, replica);
	}

	@Override
	public void onSnapshot(Replica replica, SnapshotInfo snapshot, long bytes, long nanos) {
		// The timer 'litestream.snapshot' is the observation's (see begin).
		Counter.builder(PREFIX + "snapshot.bytes")
			.description("Uncompressed bytes of snapshots written")
			.baseUnit("bytes")
			.tags(replicaTags(replica))
			.register(this.registry)
			.increment(bytes);
	}

	private double lastSync(Replica replica) {
		return this.replication.status()
			.replicas()
			.stream()
			.filter((s) -> s.name().equals(replica.name()) && s.lastSyncAt() != null)
			.mapToDouble((s) -> s.lastSyncAt().toEpochMilli() / 1000.0)
			.findFirst()
			.orElse(Double.NaN);
	}

	@Override
	public void onReplicaError(Replica replica, Exception error) {
		replicaSyncErrors(replica).increment();
	}

	@Override
	public void onStorageOperation(Replica replica, ObservedReplicaClient.Operation operation) {
		Counter.builder(PREFIX + "storage.operations")
			.description("Storage calls made for the replica (what it costs in requests)")
			.tags(replicaTags(replica).and("operation", operation.name().toLowerCase(Locale.ROOT)))
			.register(this.registry)
			.increment();
	}

	// ---- restore verification and backpressure ----------------------------------------------------

	/**
	 * Meters of restore verification: {@code litestream.verification} (counter, tag {@code result=ok|failed})
	 * and {@code litestream.verification.rto} (the last verification's restore time).
	 */
	void bindVerification(LitestreamVerification verification) {
		for (String result : new String[] { "ok", "failed" }) {
			verificationCounter(result);
		}
		TimeGauge.builder(PREFIX + "verification.rto", verification, TimeUnit.MILLISECONDS,
				(v) -> (v.last() != null) ? v.last().restoreDuration().toMillis() : 0)
			.description("Restore time measured by the last restore verification (0 before the first)")
			.tags(this.databaseTags)
			.register(this.registry);
		verification.verifier().addListener((r) -> verificationCounter(r.ok() ? "ok" : "failed").increment());
	}

	private Counter verificationCounter(String result) {
		return Counter.builder(PREFIX + "verification")
			.description("Restore verifications")
			.tags(this.databaseTags.and("result", result))
			.register(this.registry);
	}

	/**
	 * {@code litestream.backpressure.active}: 1 while replication is over a {@code litestream.backpressure}
	 * limit (whatever the policy), else 0 (also when no limit is configured).
	 */
	void bindBackpressure(LitestreamBackpressure backpressure) {
		Gauge.builder(PREFIX + "backpressure.active", backpressure, (b) -> (b.violation() != null) ? 1 : 0)
			.description("1 while replication is behind a litestream.backpressure limit, else 0")
			.tags(this.databaseTags)
			.register(this.registry);
	}

	/** {@code litestream.replica.lag.bytes}: WAL bytes each replica is behind (what max-lag-bytes limits). */
	void bindLagBytes() {
		for (Replica replica : this.replication.replicas()) {
			Gauge.builder(PREFIX + "replica.lag.bytes", this.replication, (r) -> r.status()
				.replicas()
				.stream()
				.filter((s) -> s.name().equals(replica.name()))
				.mapToDouble(ReplicationStatus.Replica::lagBytes)
				.findFirst()
				.orElse(0))
				.description("WAL bytes the replica is behind the local database")
				.baseUnit("bytes")
				.tags(replicaTags(replica))
				.register(this.registry);
		}
	}

}
