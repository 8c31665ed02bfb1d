package io.github.litestreamspring.engine.replication;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.github.litestreamspring.engine.Pos;

/**
 * An immutable picture of one database's replication, for health checks, endpoints and logs.
 *
 * @param database the database file
 * @param running whether the replicator is running
 * @param position local position (generation, shadow index, shadow size)
 * @param lastSyncAt when the local shadow WAL was last brought up to date, or {@code null}
 * @param lastError the last local error, or {@code null} once a sync succeeded again
 * @param replicas one entry per replica
 */
public record ReplicationStatus(Path database, boolean running, Pos position, Instant lastSyncAt, String lastError,
		List<Replica> replicas) {

	public String generation() {
		return this.position.generation();
	}

	/**
	 * One replica's state.
	 *
	 * @param name replica name
	 * @param type replica type ({@code file}, {@code s3})
	 * @param location where it lives, without secrets
	 * @param position where its next WAL segment starts
	 * @param lastSyncAt when it last caught up with the local position, or {@code null}
	 * @param lastError the last error, or {@code null} once a sync succeeded again
	 * @param lastErrorAt when {@code lastError} happened
	 * @param lag the age of the oldest commit the replica lacks, from when the engine copied it into the
	 * shadow WAL; zero when caught up
	 * @param lagBytes how many WAL bytes the local shadow WAL holds beyond the replica position (a lower
	 * bound when the replica is in another generation or local files were pruned); zero when caught up
	 * @param warning a condition short of an error, or {@code null}: the replica fell behind the local
	 * shadow WAL bound and will resume from a new snapshot (restore points in between are missing)
	 */
	public record Replica(String name, String type, String location, Pos position, Instant lastSyncAt,
			String lastError, Instant lastErrorAt, Duration lag, long lagBytes, String warning) {

		public Replica(String name, String type, String location, Pos position, Instant lastSyncAt, String lastError,
				Instant lastErrorAt, Duration lag) {
			this(name, type, location, position, lastSyncAt, lastError, lastErrorAt, lag, 0, null);
		}

		public boolean isCurrent(Pos local) {
			return this.lastError == null && this.warning == null && this.lag.isZero() && local.equals(this.position);
		}

	}

}
