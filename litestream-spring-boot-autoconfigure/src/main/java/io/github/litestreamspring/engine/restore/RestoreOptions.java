package io.github.litestreamspring.engine.restore;

import java.nio.file.Path;
import java.time.Instant;

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
 */
public record RestoreOptions(Path outputPath, String generation, long index, Instant timestamp, int parallelism,
		boolean ifDbNotExists, boolean ifReplicaExists, boolean overwrite) {

	public static final int DEFAULT_PARALLELISM = 8;

	public RestoreOptions {
		if (outputPath == null) {
			throw new IllegalArgumentException("restore needs an output path");
		}
		if (timestamp != null && index >= 0) {
			throw new IllegalArgumentException("restore takes a timestamp or an index, not both");
		}
		parallelism = (parallelism > 0) ? parallelism : DEFAULT_PARALLELISM;
	}

	/** Latest state to {@code outputPath}, failing if it exists or the replica is empty. */
	public static RestoreOptions latest(Path outputPath) {
		return new RestoreOptions(outputPath, null, -1, null, DEFAULT_PARALLELISM, false, false, false);
	}

	public RestoreOptions asOf(Instant time) {
		return new RestoreOptions(this.outputPath, this.generation, -1, time, this.parallelism, this.ifDbNotExists,
				this.ifReplicaExists, this.overwrite);
	}

	public RestoreOptions upTo(String generation, long index) {
		return new RestoreOptions(this.outputPath, generation, index, null, this.parallelism, this.ifDbNotExists,
				this.ifReplicaExists, this.overwrite);
	}

	public RestoreOptions withIfDbNotExists(boolean value) {
		return new RestoreOptions(this.outputPath, this.generation, this.index, this.timestamp, this.parallelism, value,
				this.ifReplicaExists, this.overwrite);
	}

	public RestoreOptions withIfReplicaExists(boolean value) {
		return new RestoreOptions(this.outputPath, this.generation, this.index, this.timestamp, this.parallelism,
				this.ifDbNotExists, value, this.overwrite);
	}

	public RestoreOptions withOverwrite(boolean value) {
		return new RestoreOptions(this.outputPath, this.generation, this.index, this.timestamp, this.parallelism,
				this.ifDbNotExists, this.ifReplicaExists, value);
	}

	public RestoreOptions withParallelism(int value) {
		return new RestoreOptions(this.outputPath, this.generation, this.index, this.timestamp, value,
				this.ifDbNotExists, this.ifReplicaExists, this.overwrite);
	}

}
