package io.github.litestreamspring.engine.replication;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.db.Database;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.SnapshotInfo;

/**
 * The scheduled work of one replica besides shipping WAL: snapshots every {@code snapshotInterval} and
 * retention every {@code retentionCheckInterval} (capped at {@code retention}), with Litestream's
 * timing. Runs on the replication thread, which asks {@link #nextDueAt()} how long it may sleep.
 */
final class ReplicaMaintenance {

	private static final Logger logger = LoggerFactory.getLogger(ReplicaMaintenance.class);

	/** Longest wait before a failed snapshot or retention run is tried again. */
	private static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(30);

	private final Replica replica;

	private final Database database;

	private final Retention retention;

	/** When the next scheduled snapshot is due; {@code null} until computed for {@link #snapshotGeneration}. */
	private Instant nextSnapshotAt;

	private String snapshotGeneration;

	private Instant nextRetentionAt;

	ReplicaMaintenance(Replica replica, Database database, Instant now) {
		this.replica = replica;
		this.database = database;
		this.retention = new Retention(replica.client());
		// Like Litestream's retainer ticker: the first check one interval after start.
		Duration check = checkInterval();
		this.nextRetentionAt = (check != null) ? now.plus(check) : null;
	}

	/** When something is due next, or {@code null} if nothing is scheduled (or not yet known). */
	Instant nextDueAt() {
		Instant next = this.nextRetentionAt;
		if (this.nextSnapshotAt != null && (next == null || this.nextSnapshotAt.isBefore(next))) {
			next = this.nextSnapshotAt;
		}
		return next;
	}

	/**
	 * Runs the snapshot and the retention check if due. Only for a replica that is in the database's
	 * current generation (it has a snapshot of it and a known position).
	 */
	void runDue(Instant now, ReplicationListener listener) {
		Pos local = this.database.position();
		Pos pos = this.replica.position();
		if (local.isNone() || pos.isNone() || !local.generation().equals(pos.generation())) {
			return;
		}
		Duration interval = this.replica.options().snapshotInterval();
		if (!interval.isZero()) {
			try {
				scheduleSnapshot(local.generation(), interval, now);
				if (!now.isBefore(this.nextSnapshotAt)) {
					snapshotAtNewIndex(local.generation());
					this.nextSnapshotAt = Instant.now().plus(interval);
				}
			}
			catch (IOException | RuntimeException ex) {
				this.nextSnapshotAt = now.plus(min(interval, MAX_RETRY_DELAY));
				logger.error("{}: scheduled snapshot to replica '{}' failed: {}", this.database.path(),
						this.replica.name(), ex.getMessage());
			}
		}
		if (this.nextRetentionAt != null && !now.isBefore(this.nextRetentionAt)) {
			Duration check = checkInterval();
			try {
				enforceRetention(local.generation(), now, listener);
				this.nextRetentionAt = Instant.now().plus(check);
			}
			catch (IOException | RuntimeException ex) {
				this.nextRetentionAt = now.plus(min(check, MAX_RETRY_DELAY));
				logger.error("{}: retention of replica '{}' failed: {}", this.database.path(), this.replica.name(),
						ex.getMessage());
			}
		}
	}

	/** The first snapshot comes at interval − age of the generation's latest one, clamped at now. */
	private void scheduleSnapshot(String generation, Duration interval, Instant now) throws IOException {
		if (this.nextSnapshotAt != null && generation.equals(this.snapshotGeneration)) {
			return;
		}
		List<SnapshotInfo> snapshots = this.replica.client().snapshots(generation);
		Instant latest = snapshots.stream().map(SnapshotInfo::createdAt).max(Instant::compareTo).orElse(now);
		Instant due = latest.plus(interval);
		this.nextSnapshotAt = due.isBefore(now) ? now : due;
		this.snapshotGeneration = generation;
	}

	private void enforceRetention(String generation, Instant now, ReplicationListener listener) throws IOException {
		Instant boundary = now.minus(this.replica.options().retention());
		List<SnapshotInfo> snapshots = this.replica.client().snapshots(generation);
		if (snapshots.stream().noneMatch((s) -> !s.createdAt().isBefore(boundary))) {
			// As Litestream does: without a snapshot inside the window the old ones could never go.
			snapshotAtNewIndex(generation);
		}
		long started = System.nanoTime();
		Retention.Result result = this.retention.enforce(generation, boundary);
		if (!result.isEmpty()) {
			logger.info("{}: retention ({}) deleted {} snapshot(s), {} WAL segment(s) and {} generation(s) from "
					+ "replica '{}' in {} ms", this.database.path(), this.replica.options().retention(),
					result.snapshots(), result.segments(), result.generations(), this.replica.name(),
					(System.nanoTime() - started) / 1_000_000);
		}
		listener.onRetention(this.replica, result.snapshots(), result.segments(), result.generations());
	}

	/**
	 * Takes a snapshot at an index the replica has no snapshot of yet ({@link Replica#snapshot} never
	 * replaces one: that would lose the restore point it is, possibly the base of the retention window).
	 */
	private void snapshotAtNewIndex(String generation) throws IOException {
		if (!generation.equals(this.database.position().generation())) {
			return;
		}
		this.replica.snapshot(this.database);
		// The interval schedule restarts from this snapshot (recomputed from the listing).
		this.nextSnapshotAt = null;
	}

	private Duration checkInterval() {
		Duration retention = this.replica.options().retention();
		if (retention.isZero()) {
			return null;
		}
		Duration check = this.replica.options().retentionCheckInterval();
		return (check.isZero() || check.compareTo(retention) > 0) ? retention : check;
	}

	private static Duration min(Duration a, Duration b) {
		return (a.compareTo(b) <= 0) ? a : b;
	}

}
