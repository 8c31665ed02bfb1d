package io.github.litestreamspring.engine;

import io.github.litestreamspring.engine.db.DatabaseListener;
import io.github.litestreamspring.engine.replica.ObservedReplicaClient;
import io.github.litestreamspring.engine.replica.SnapshotInfo;
import io.github.litestreamspring.engine.replica.WalSegmentInfo;

/**
 * Observes replication of one database: the local side ({@link DatabaseListener}) and every replica.
 * Metrics adapters implement it; methods are called on the database's replication thread and must
 * return quickly.
 */
public interface ReplicationListener extends DatabaseListener {

	ReplicationListener NONE = new ReplicationListener() {
	};

	default void onWalSegment(Replica replica, WalSegmentInfo segment, long uncompressedBytes, long nanos) {
	}

	default void onSnapshot(Replica replica, SnapshotInfo snapshot, long uncompressedBytes, long nanos) {
	}

	default void onReplicaSync(Replica replica, long uncompressedBytes, long nanos) {
	}

	default void onReplicaError(Replica replica, Exception error) {
	}

	/**
	 * A retention check of a replica finished (also when it deleted nothing).
	 * @param snapshots snapshots deleted
	 * @param segments WAL segments deleted
	 * @param generations whole generations deleted
	 */
	default void onRetention(Replica replica, int snapshots, int segments, int generations) {
	}

	/** One storage call (LIST, GET, PUT, DELETE) made for a replica; may be called from restore threads. */
	default void onStorageOperation(Replica replica, ObservedReplicaClient.Operation operation) {
	}

}
