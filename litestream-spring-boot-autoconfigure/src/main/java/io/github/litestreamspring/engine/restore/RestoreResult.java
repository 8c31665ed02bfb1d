package io.github.litestreamspring.engine.restore;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What a restore did.
 *
 * @param outcome whether it restored, or why it did nothing
 * @param output the database file
 * @param plan what was restored; {@code null} unless restored
 * @param downloadedBytes compressed bytes read from the replica
 * @param duration wall time
 */
public record RestoreResult(Outcome outcome, Path output, RestorePlan plan, long downloadedBytes, Duration duration) {

	public enum Outcome {

		/** The database was restored. */
		RESTORED,
		/** The output existed and {@code if-db-not-exists} was set. */
		DATABASE_EXISTS,
		/** The replica had no matching backup and {@code if-replica-exists} was set. */
		NO_BACKUP

	}

}
