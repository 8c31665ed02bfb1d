package io.github.litestreamspring.engine.db;

/** Observes the local side of replication (metrics, logs). Methods are called on the sync thread. */
public interface DatabaseListener {

	DatabaseListener NONE = new DatabaseListener() {
	};

	default void onSync(SyncResult result, long nanos) {
	}

	default void onSyncError(Exception error) {
	}

	default void onCheckpoint(CheckpointMode mode, boolean walRestarted, long nanos) {
	}

	default void onNewGeneration(String generation, String reason) {
	}

}
