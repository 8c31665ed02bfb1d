package io.github.litestreamspring.engine.replication;

import java.util.List;

import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.db.CheckpointMode;
import io.github.litestreamspring.engine.db.SyncResult;
import io.github.litestreamspring.engine.replica.ObservedReplicaClient;

/**
 * Hands every event to each listener of a list, in order ({@link ReplicationListener#composite}). The
 * list is read at every event, so listeners added to a concurrent list later hear the events from then on.
 */
final class CompositeReplicationListener implements ReplicationListener {

	private final List<? extends ReplicationListener> listeners;

	CompositeReplicationListener(List<? extends ReplicationListener> listeners) {
		this.listeners = listeners;
	}

	@Override
	public void onSync(SyncResult result, long nanos) {
		this.listeners.forEach((l) -> l.onSync(result, nanos));
	}

	@Override
	public void onSyncError(Exception error) {
		this.listeners.forEach((l) -> l.onSyncError(error));
	}

	@Override
	public void onCheckpoint(CheckpointMode mode, boolean walRestarted, long nanos) {
		this.listeners.forEach((l) -> l.onCheckpoint(mode, walRestarted, nanos));
	}

	@Override
	public void onNewGeneration(String generation, String reason) {
		this.listeners.forEach((l) -> l.onNewGeneration(generation, reason));
	}

	@Override
	public void onWalSegment(Replica replica, WalSegmentInfo segment, long bytes, long nanos) {
		this.listeners.forEach((l) -> l.onWalSegment(replica, segment, bytes, nanos));
	}

	@Override
	public void onSnapshot(Replica replica, SnapshotInfo snapshot, long bytes, long nanos) {
		this.listeners.forEach((l) -> l.onSnapshot(replica, snapshot, bytes, nanos));
	}

	@Override
	public void onReplicaSync(Replica replica, long bytes, long nanos) {
		this.listeners.forEach((l) -> l.onReplicaSync(replica, bytes, nanos));
	}

	@Override
	public void onReplicaError(Replica replica, Exception error) {
		this.listeners.forEach((l) -> l.onReplicaError(replica, error));
	}

	@Override
	public void onRetention(Replica replica, int snapshots, int segments, int generations) {
		this.listeners.forEach((l) -> l.onRetention(replica, snapshots, segments, generations));
	}

	@Override
	public void onStorageOperation(Replica replica, ObservedReplicaClient.Operation operation) {
		this.listeners.forEach((l) -> l.onStorageOperation(replica, operation));
	}

	@Override
	public Timing begin(Work work, Replica replica) {
		List<Timing> timings = this.listeners.stream().map((l) -> l.begin(work, replica)).toList();
		return (failure) -> {
			// In reverse: a listener's scope (a trace span) closes before the one opened around it.
			for (int i = timings.size() - 1; i >= 0; i--) {
				timings.get(i).end(failure);
			}
		};
	}

}
