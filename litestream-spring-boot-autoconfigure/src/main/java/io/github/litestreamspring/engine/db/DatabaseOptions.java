package io.github.litestreamspring.engine.db;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How the engine treats one local SQLite database. Defaults are Litestream v0.3.13's.
 *
 * @param path the database file
 * @param metaPath the engine's local state directory; {@code null} for {@code .<db>-litestream} next to it
 * @param monitorInterval how often the WAL is polled for changes made outside this JVM
 * @param checkpointInterval a PASSIVE checkpoint runs when the database file has been idle this long
 * and the WAL has frames; zero disables it
 * @param minCheckpointPageCount WAL pages after which a PASSIVE checkpoint runs (must be &gt; 0)
 * @param maxCheckpointPageCount WAL pages after which a RESTART checkpoint runs; 0 disables it
 * @param truncatePageCount WAL pages after which a TRUNCATE checkpoint runs; 0 disables it
 * @param busyTimeout how long the engine's own connections wait for a lock
 */
public record DatabaseOptions(Path path, Path metaPath, Duration monitorInterval, Duration checkpointInterval,
		int minCheckpointPageCount, int maxCheckpointPageCount, int truncatePageCount, Duration busyTimeout) {

	public static final Duration DEFAULT_MONITOR_INTERVAL = Duration.ofSeconds(1);

	public static final Duration DEFAULT_CHECKPOINT_INTERVAL = Duration.ofMinutes(1);

	public static final int DEFAULT_MIN_CHECKPOINT_PAGE_COUNT = 1000;

	public static final int DEFAULT_MAX_CHECKPOINT_PAGE_COUNT = 10_000;

	public static final int DEFAULT_TRUNCATE_PAGE_COUNT = 500_000;

	public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(1);

	public DatabaseOptions {
		if (path == null) {
			throw new IllegalArgumentException("database path is required");
		}
		path = path.toAbsolutePath();
		metaPath = (metaPath != null) ? metaPath.toAbsolutePath() : LocalState.defaultMetaDir(path);
		monitorInterval = (monitorInterval != null) ? monitorInterval : DEFAULT_MONITOR_INTERVAL;
		checkpointInterval = (checkpointInterval != null) ? checkpointInterval : DEFAULT_CHECKPOINT_INTERVAL;
		busyTimeout = (busyTimeout != null) ? busyTimeout : DEFAULT_BUSY_TIMEOUT;
		if (minCheckpointPageCount <= 0) {
			throw new IllegalArgumentException("minimum checkpoint page count must be positive, was "
					+ minCheckpointPageCount);
		}
		if (maxCheckpointPageCount < 0 || truncatePageCount < 0) {
			throw new IllegalArgumentException("checkpoint page counts must not be negative");
		}
	}

	/** Options with every default for the database at {@code path}. */
	public static DatabaseOptions defaults(Path path) {
		return new DatabaseOptions(path, null, DEFAULT_MONITOR_INTERVAL, DEFAULT_CHECKPOINT_INTERVAL,
				DEFAULT_MIN_CHECKPOINT_PAGE_COUNT, DEFAULT_MAX_CHECKPOINT_PAGE_COUNT, DEFAULT_TRUNCATE_PAGE_COUNT,
				DEFAULT_BUSY_TIMEOUT);
	}

	public DatabaseOptions withCheckpointPageCounts(int min, int max, int truncate) {
		return new DatabaseOptions(this.path, this.metaPath, this.monitorInterval, this.checkpointInterval, min, max,
				truncate, this.busyTimeout);
	}

	public DatabaseOptions withIntervals(Duration monitor, Duration checkpoint) {
		return new DatabaseOptions(this.path, this.metaPath, monitor, checkpoint, this.minCheckpointPageCount,
				this.maxCheckpointPageCount, this.truncatePageCount, this.busyTimeout);
	}

	public Path walPath() {
		return this.path.resolveSibling(this.path.getFileName() + "-wal");
	}

}
