package io.github.litestreamspring.engine.replication;

import java.util.List;

import io.github.litestreamspring.engine.db.DatabaseListener;
import io.github.litestreamspring.engine.replica.ObservedReplicaClient;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

/**
 * Observes replication of one database: the local side ({@link DatabaseListener}) and every replica.
 * Metrics adapters implement it; methods are called on the database's replication thread and must
 * return quickly.
 */
public interface ReplicationListener extends DatabaseListener {

	ReplicationListener NONE = new ReplicationListener() {
	};

	/**
	 * One listener that hands every event to each of {@code listeners}, in order (timings end in reverse
	 * order). The list is read at every event: a concurrent list may gain listeners later.
	 */
	static ReplicationListener composite(List<? extends ReplicationListener> listeners) {
		return new CompositeReplicationListener(listeners);
	}

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

	/**
	 * A replica sync or a snapshot upload begins; the returned timing is ended, on the same thread, when
	 * it is over. Lets an adapter follow the work as it happens (a trace span), where the other methods
	 * report it afterwards.
	 */
	default Timing begin(Work work, Replica replica) {
		return Timing.NONE;
	}

	/** Work bracketed by {@link #begin}. */
	enum Work {

		/** Shipping the shadow WAL to a replica (one pass's upload to it). */
		REPLICA_SYNC,

		/** Uploading a snapshot to a replica. */
		SNAPSHOT

	}

	/** The end of work bracketed by {@link #begin}. */
	@FunctionalInterface
	interface Timing {

		Timing NONE = (failure) -> {
		};

		/** @param failure why the work failed, or {@code null} when it succeeded */
		void end(Throwable failure);

	}

}
