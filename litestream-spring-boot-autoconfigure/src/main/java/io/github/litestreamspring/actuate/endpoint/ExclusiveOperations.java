package io.github.litestreamspring.actuate.endpoint;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * At most one run of each expensive endpoint operation per database at a time: {@code verify}
 * downloads and restores the whole backup, {@code snapshot} uploads the whole database. A call that
 * finds one running is refused ({@link OperationInProgressException}, HTTP 409) instead of queueing a
 * second download or upload behind it.
 */
final class ExclusiveOperations {

	private final Map<Key, Instant> running = new ConcurrentHashMap<>();

	private final Clock clock;

	ExclusiveOperations(Clock clock) {
		this.clock = clock;
	}

	/**
	 * Runs {@code work} unless {@code operation} already runs on one of {@code databases}.
	 * @throws OperationInProgressException naming the database and when the running one started
	 */
	<T> T run(String operation, List<Path> databases, Supplier<T> work) {
		Instant now = this.clock.instant();
		List<Key> taken = new ArrayList<>();
		try {
			for (Path database : databases) {
				Key key = new Key(operation, database);
				Instant startedAt = this.running.putIfAbsent(key, now);
				if (startedAt != null) {
					throw new OperationInProgressException(operation, database, startedAt);
				}
				taken.add(key);
			}
			return work.get();
		}
		finally {
			taken.forEach(this.running::remove);
		}
	}

	private record Key(String operation, Path database) {
	}

}
