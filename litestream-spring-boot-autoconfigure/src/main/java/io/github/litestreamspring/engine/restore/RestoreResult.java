package io.github.litestreamspring.engine.restore;

import java.nio.file.Path;
import java.time.Duration;

import io.github.litestreamspring.engine.Pos;

/**
 * What a restore did.
 *
 * @param outcome whether it restored, or why it did nothing
 * @param output the database file
 * @param plan what was restored; {@code null} unless restored
 * @param downloadedBytes compressed bytes read from the replica
 * @param duration wall time
 * @param position the exact state the restored file holds: the generation, the last WAL index applied and
 * the end of the last whole transaction of that index's WAL (its decoded length when, as always for a
 * replica this engine wrote, the index ends at a commit). For a snapshot-only restore it is the
 * snapshot's index at offset 0: "the snapshot of that index, none of its WAL applied" (a snapshot may
 * already hold pages of its index's first frames; re-applying that index from offset 0 is harmless).
 * {@link Pos#NONE} unless restored
 */
public record RestoreResult(Outcome outcome, Path output, RestorePlan plan, long downloadedBytes, Duration duration,
		Pos position) {

	public RestoreResult {
		position = (position != null) ? position : Pos.NONE;
	}

	/** A result without a position (nothing restored, or a caller that does not know it). */
	public RestoreResult(Outcome outcome, Path output, RestorePlan plan, long downloadedBytes, Duration duration) {
		this(outcome, output, plan, downloadedBytes, duration, Pos.NONE);
	}

	public enum Outcome {

		/** The database was restored. */
		RESTORED,
		/** The output existed and {@code if-db-not-exists} was set. */
		DATABASE_EXISTS,
		/** The replica had no matching backup and {@code if-replica-exists} was set. */
		NO_BACKUP

	}

}
