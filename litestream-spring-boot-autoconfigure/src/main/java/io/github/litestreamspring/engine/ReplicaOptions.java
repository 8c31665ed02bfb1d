package io.github.litestreamspring.engine;

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
 */
public record ReplicaOptions(String name, Duration syncInterval, Duration snapshotInterval, Duration retention,
		Duration retentionCheckInterval, long maxSegmentBytes) {

	public static final Duration DEFAULT_SYNC_INTERVAL = Duration.ofSeconds(1);

	public static final Duration DEFAULT_SNAPSHOT_INTERVAL = Duration.ZERO;

	public static final Duration DEFAULT_RETENTION = Duration.ofHours(24);

	public static final Duration DEFAULT_RETENTION_CHECK_INTERVAL = Duration.ofHours(1);

	public static final long DEFAULT_MAX_SEGMENT_BYTES = 16L * 1024 * 1024;

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
	}

	public static ReplicaOptions defaults(String name) {
		return new ReplicaOptions(name, null, null, null, null, 0);
	}

	public ReplicaOptions withSyncInterval(Duration interval) {
		return new ReplicaOptions(this.name, interval, this.snapshotInterval, this.retention,
				this.retentionCheckInterval, this.maxSegmentBytes);
	}

}
