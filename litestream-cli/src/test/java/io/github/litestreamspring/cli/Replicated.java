package io.github.litestreamspring.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

/** Writes rows to a database and replicates them with the engine, so that the CLI has something to read. */
final class Replicated {

	private Replicated() {
	}

	/** A replicator syncing every 50 ms to {@code client}, with small checkpoint thresholds (several WAL indexes). */
	static Replicator replicator(Path db, ReplicaClient client) {
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1))
			.withCheckpointPageCounts(30, 120, 0);
		return new Replicator(options,
				List.of(new Replica(ReplicaOptions.defaults(client.type()).withSyncInterval(Duration.ofMillis(50)),
						client)));
	}

	/** Inserts {@code batches} batches of 10 rows (from batch {@code first}), syncing every 10 batches. */
	static void write(TestDatabase app, Replicator replicator, int first, int batches) throws Exception {
		for (int batch = first; batch < first + batches; batch++) {
			app.insertBatch(batch, 10, 300);
			if (batch % 10 == 0) {
				replicator.syncNow();
			}
		}
		replicator.syncNow();
	}

}
