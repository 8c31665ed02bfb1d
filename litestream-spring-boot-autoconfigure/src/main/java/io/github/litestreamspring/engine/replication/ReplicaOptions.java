package io.github.litestreamspring.engine.replication;

import java.time.Duration;

/**
 * How one replica is shipped to. Defaults are Litestream v0.3.13's.
 *
 * @param name unique name within the database (Litestream's default is the replica type)
 * @param syncInterval the longest time between two uploads while the database changes
 * @param snapshotInterval how often a new snapshot is taken; zero for only when a generation starts
 * @param retention how long snapshots and WAL are kept; zero keeps everything
 * @param retentionCheckInterval how often retention is enforced
 * @param maxSegmentBytes the largest uncompressed WAL segment uploaded as one object, except the segment
 * that starts the index of a generation's first snapshot, which goes in one piece (see {@link Replica})
 * @param maxUploadsPerSecond the cost ceiling of a short sync interval: at most this many uploads (rounds
 * of WAL segments) start per second, evenly spaced, so that commits arriving meanwhile share the next
 * upload; an upload after a quiet spell starts at once. Zero for no ceiling (the sync interval alone
 * decides). Only a sync interval shorter than {@code 1 s / maxUploadsPerSecond} is affected
 */
public record ReplicaOptions(String name, Duration syncInterval, Duration snapshotInterval, Duration retention,
		Duration retentionCheckInterval, long maxSegmentBytes, int maxUploadsPerSecond) {

	public static final Duration DEFAULT_SYNC_INTERVAL = Duration.ofSeconds(1);

	public static final Duration DEFAULT_SNAPSHOT_INTERVAL = Duration.ZERO;

	public static final Duration DEFAULT_RETENTION = Duration.ofHours(24);

	public static final Duration DEFAULT_RETENTION_CHECK_INTERVAL = Duration.ofHours(1);

	public static final long DEFAULT_MAX_SEGMENT_BYTES = 16L * 1024 * 1024;

	/**
	 * Upload ceiling per second: 20 bounds low-latency mode to 1,200 uploads a minute (one per commit
	 * window before: ~11,400 at 1,000 tx/s) and adds at most 50 ms of lag under load, which keeps the
	 * low-latency target (p99 ≤ 100 ms at 1,000 tx/s, docs/benchmarks.md) within reach.
	 */
	public static final int DEFAULT_MAX_UPLOADS_PER_SECOND = 20;

	public ReplicaOptions {
		syncInterval = (syncInterval != null) ? syncInterval : DEFAULT_SYNC_INTERVAL;
		snapshotInterval = (snapshotInterval != null) ? snapshotInterval : DEFAULT_SNAPSHOT_INTERVAL;
		retention = (retention != null) ? retention : DEFAULT_RETENTION;
		retentionCheckInterval = (retentionCheckInterval != null) ? retentionCheckInterval
				: DEFAULT_RETENTION_CHECK_INTERVAL;
		maxSegmentBytes = (maxSegmentBytes > 0) ? maxSegmentBytes : DEFAULT_MAX_SEGMENT_BYTES;
		if (syncInterval.isNegative() || snapshotInterval.isNegative() || retention.isNegative()
				|| retentionCheckInterval.isNegative()) {
			throw new IllegalArgumentException("replica intervals must not be negative");
		}
		if (maxUploadsPerSecond < 0) {
			throw new IllegalArgumentException("replica max uploads per second must not be negative (0 for no ceiling)");
		}
	}

	/** Options with the default upload ceiling ({@link #DEFAULT_MAX_UPLOADS_PER_SECOND}). */
	public ReplicaOptions(String name, Duration syncInterval, Duration snapshotInterval, Duration retention,
			Duration retentionCheckInterval, long maxSegmentBytes) {
		this(name, syncInterval, snapshotInterval, retention, retentionCheckInterval, maxSegmentBytes,
				DEFAULT_MAX_UPLOADS_PER_SECOND);
	}

	/** The shortest time between the starts of two uploads; zero without a ceiling. */
	public Duration minUploadInterval() {
		return (this.maxUploadsPerSecond > 0) ? Duration.ofNanos(1_000_000_000L / this.maxUploadsPerSecond)
				: Duration.ZERO;
	}

	public static ReplicaOptions defaults(String name) {
		return new ReplicaOptions(name, null, null, null, null, 0);
	}

	public ReplicaOptions withSyncInterval(Duration interval) {
		return new ReplicaOptions(this.name, interval, this.snapshotInterval, this.retention,
				this.retentionCheckInterval, this.maxSegmentBytes, this.maxUploadsPerSecond);
	}

	/** These options with another upload ceiling; zero for none. */
	public ReplicaOptions withMaxUploadsPerSecond(int maxUploadsPerSecond) {
		return new ReplicaOptions(this.name, this.syncInterval, this.snapshotInterval, this.retention,
				this.retentionCheckInterval, this.maxSegmentBytes, maxUploadsPerSecond);
	}

}
