package io.github.litestreamspring.engine.db;

import io.github.litestreamspring.engine.Pos;

/**
 * What one {@link Database#sync()} did.
 *
 * @param position local position afterwards
 * @param bytesCopied WAL bytes appended to the shadow WAL
 * @param newGeneration whether a new generation started
 * @param walRestarted whether a new shadow index started
 * @param checkpoint the checkpoint that ran, or {@code null}
 * @param checkpointRestarted whether that checkpoint restarted the WAL
 */
public record SyncResult(Pos position, long bytesCopied, boolean newGeneration, boolean walRestarted,
		CheckpointMode checkpoint, boolean checkpointRestarted) {

	/** Whether replicas have something new to ship. */
	public boolean changed() {
		return this.bytesCopied > 0 || this.newGeneration || this.walRestarted || this.checkpointRestarted;
	}

	SyncResult withCheckpoint(Pos position, CheckpointMode mode, boolean restarted) {
		return new SyncResult(position, this.bytesCopied, this.newGeneration, this.walRestarted, mode, restarted);
	}

}
