package io.github.litestreamspring.engine.follower;

import java.nio.file.Path;
import java.time.Duration;

import io.github.litestreamspring.engine.db.LocalState;
import io.github.litestreamspring.engine.restore.RestoreOptions;

/**
 * How a follower keeps one database up to date with its replica.
 *
 * @param database the path the application opens; the follower makes it a symbolic link to the copy it
 * serves
 * @param metaDir the engine's local state directory of the database ({@code null}: {@code .<db>-litestream}
 * next to it); the copies live in its {@code follower/} directory, which must be on the same file system as
 * the database for a promotion (the copy is renamed onto the database's path)
 * @param pollInterval how often the replica is listed for new WAL
 * @param parallelism WAL segments downloaded at once by a catch-up or a restore
 */
public record FollowerOptions(Path database, Path metaDir, Duration pollInterval, int parallelism) {

	public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

	public FollowerOptions {
		if (database == null) {
			throw new IllegalArgumentException("a follower needs the database path");
		}
		database = database.toAbsolutePath();
		metaDir = (metaDir != null) ? metaDir.toAbsolutePath() : LocalState.defaultMetaDir(database);
		pollInterval = (pollInterval != null && !pollInterval.isNegative() && !pollInterval.isZero()) ? pollInterval : DEFAULT_POLL_INTERVAL;
		parallelism = (parallelism > 0) ? parallelism : RestoreOptions.DEFAULT_PARALLELISM;
	}

	/** Options with every default for the database at {@code database}. */
	public static FollowerOptions defaults(Path database) {
		return new FollowerOptions(database, null, DEFAULT_POLL_INTERVAL, RestoreOptions.DEFAULT_PARALLELISM);
	}

	public FollowerOptions withPollInterval(Duration interval) {
		return new FollowerOptions(this.database, this.metaDir, interval, this.parallelism);
	}

	/** The directory of the two copies, their position files and the segment cache. */
	Path followerDir() {
		return this.metaDir.resolve("follower");
	}

}
