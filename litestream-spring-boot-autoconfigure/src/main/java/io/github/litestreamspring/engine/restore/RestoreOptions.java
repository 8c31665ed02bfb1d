package io.github.litestreamspring.engine.restore;

import java.nio.file.Path;
import java.time.Instant;

import io.github.litestreamspring.engine.Pos;

/**
 * What to restore and where, with the meaning of Litestream's {@code restore} flags.
 *
 * @param outputPath the database file to create
 * @param generation restore only this generation; {@code null} picks the latest
 * @param index restore up to and including this WAL index; -1 for all
 * @param timestamp restore the state as of this time; {@code null} for the latest
 * @param parallelism how many WAL indexes are downloaded at once
 * @param ifDbNotExists do nothing if the output file already exists
 * @param ifReplicaExists do nothing (instead of failing) if the replica has no matching backup
 * @param overwrite replace an existing output file (never with {@code ifDbNotExists})
 * @param upToPosition restore exactly the state at this position: every WAL segment that starts before it
 * (a replica's segments end at commit boundaries, so this is the state a reader saw at that position);
 * {@code null} for no such limit. Implies its generation and index. A snapshot of that index written
 * after the position would hold later pages: callers needing exactness compare the chosen snapshot's
 * time (as {@code RestoreVerifier} does)
 */
public record RestoreOptions(Path outputPath, String generation, long index, Instant timestamp, int parallelism,
		boolean ifDbNotExists, boolean ifReplicaExists, boolean overwrite, Pos upToPosition) {

	public static final int DEFAULT_PARALLELISM = 8;

	public RestoreOptions {
		if (outputPath == null) {
			throw new IllegalArgumentException("restore needs an output path");
		}
		if (timestamp != null && index >= 0) {
			throw new IllegalArgumentException("restore takes a timestamp or an index, not both");
		}
		if (upToPosition != null && (upToPosition.isNone() || timestamp != null
				|| !upToPosition.generation().equals(generation) || upToPosition.index() != index)) {
			throw new IllegalArgumentException("restore up to a position takes its generation and index, no timestamp");
		}
		parallelism = (parallelism > 0) ? parallelism : DEFAULT_PARALLELISM;
	}

	public RestoreOptions(Path outputPath, String generation, long index, Instant timestamp, int parallelism,
			boolean ifDbNotExists, boolean ifReplicaExists, boolean overwrite) {
		this(outputPath, generation, index, timestamp, parallelism, ifDbNotExists, ifReplicaExists, overwrite, null);
	}

	/** Latest state to {@code outputPath}, failing if it exists or the replica is empty. */
	public static RestoreOptions latest(Path outputPath) {
		return new RestoreOptions(outputPath, null, -1, null, DEFAULT_PARALLELISM, false, false, false);
	}

	public RestoreOptions asOf(Instant time) {
		return new RestoreOptions(this.outputPath, this.generation, -1, time, this.parallelism, this.ifDbNotExists,
				this.ifReplicaExists, this.overwrite, null);
	}

	public RestoreOptions upTo(String generation, long index) {
		return new RestoreOptions(this.outputPath, generation, index, null, this.parallelism, this.ifDbNotExists,
				this.ifReplicaExists, this.overwrite, null);
	}

	/**
	 * The state at exactly {@code position}: its generation, the newest snapshot at or below its index,
	 * and every WAL segment that starts before it. Used to compare a restore with the live database as
	 * of the same position.
	 */
	public RestoreOptions upTo(Pos position) {
		return new RestoreOptions(this.outputPath, position.generation(), position.index(), null, this.parallelism,
				this.ifDbNotExists, this.ifReplicaExists, this.overwrite, position);
	}

	public RestoreOptions withIfDbNotExists(boolean value) {
		return new RestoreOptions(this.outputPath, this.generation, this.index, this.timestamp, this.parallelism, value,
				this.ifReplicaExists, this.overwrite, this.upToPosition);
	}

	public RestoreOptions withIfReplicaExists(boolean value) {
		return new RestoreOptions(this.outputPath, this.generation, this.index, this.timestamp, this.parallelism,
				this.ifDbNotExists, value, this.overwrite, this.upToPosition);
	}

	public RestoreOptions withOverwrite(boolean value) {
		return new RestoreOptions(this.outputPath, this.generation, this.index, this.timestamp, this.parallelism,
				this.ifDbNotExists, this.ifReplicaExists, value, this.upToPosition);
	}

	public RestoreOptions withParallelism(int value) {
		return new RestoreOptions(this.outputPath, this.generation, this.index, this.timestamp, value,
				this.ifDbNotExists, this.ifReplicaExists, this.overwrite, this.upToPosition);
	}

}
