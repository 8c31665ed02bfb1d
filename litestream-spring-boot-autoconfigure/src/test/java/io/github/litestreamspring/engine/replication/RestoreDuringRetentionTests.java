package io.github.litestreamspring.engine.replication;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;
import io.github.litestreamspring.engine.LitestreamException;

/**
 * Restores run while retention deletes under them (Litestream #224): each one either restores a
 * correct, intact database or fails with a message naming what is missing; never a wrong database.
 */
class RestoreDuringRetentionTests {

	@TempDir
	Path dir;

	@Test
	void everyRestoreRacingAPruneIsCorrectOrFailsClearly() throws Exception {
		Path db = this.dir.resolve("app.db");
		FileReplicaClient client = new FileReplicaClient(this.dir.resolve("replica"));
		ReplicaOptions replicaOptions = new ReplicaOptions("file", Duration.ofMillis(20), Duration.ofMillis(300),
				Duration.ofMillis(1000), Duration.ofMillis(150), 0);
		// (time, rows) after each durable commit: the exact state a restore to that time must give.
		List<Instant> times = new CopyOnWriteArrayList<>();
		List<List<String>> states = new CopyOnWriteArrayList<>();
		AtomicBoolean writing = new AtomicBoolean(true);
		AtomicReference<Throwable> writerFailure = new AtomicReference<>();
		int restored = 0;
		int failedClearly = 0;
		try (TestDatabase app = new TestDatabase(db);
				Replicator replicator = new Replicator(RetentionTests.options(db),
						List.of(new Replica(replicaOptions, client)))) {
			replicator.start();
			Thread writer = new Thread(() -> {
				try {
					long end = System.nanoTime() + Duration.ofSeconds(8).toNanos();
					for (int batch = 0; writing.get() && System.nanoTime() < end; batch++) {
						app.insertBatch(batch, 5, 300);
						replicator.awaitDurable(Duration.ofSeconds(10));
						List<String> rows = app.rows();
						times.add(Instant.now());
						states.add(rows);
						Thread.sleep(30);
					}
				}
				catch (Throwable ex) {
					writerFailure.set(ex);
				}
			}, "retention-race-writer");
			writer.start();
			try {
				Thread.sleep(1500);
				long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
				for (int i = 0; i < 200 && System.nanoTime() < end; i++) {
					int n = times.size();
					// Alternate: latest, inside the window, and around or before the window's start.
					int pick = switch (i % 3) {
						case 0 -> -1;
						case 1 -> Math.max(0, n - 3);
						default -> (int) (Math.random() * n);
					};
					Instant at = (pick < 0) ? null : times.get(pick);
					List<String> floor = (pick < 0) ? states.get(n - 1) : states.get(pick);
					Path out = this.dir.resolve("restore-" + i + ".db");
					RestoreOptions options = RestoreOptions.latest(out);
					try {
						RestoreResult result = new Restorer(client).restore((at != null) ? options.asOf(at) : options);
						if (result.outcome() != RestoreResult.Outcome.RESTORED) {
							// Nothing at or before that time is left: said, not silently wrong.
							assertThat(at).as("latest restore found nothing").isNotNull();
							failedClearly++;
							continue;
						}
						List<String> rows = TestDatabase.rows(out);
						assertThat(TestDatabase.integrityCheck(out)).isEqualTo("ok");
						if (at != null) {
							assertThat(rows).as("state at " + at).isEqualTo(floor);
						}
						else {
							// At least what was durable before the restore began, and a prefix of history.
							assertThat(rows.size()).isGreaterThanOrEqualTo(floor.size());
							assertThat(rows.subList(0, floor.size())).isEqualTo(floor);
						}
						restored++;
					}
					catch (LitestreamException ex) {
						assertThat(at).as("a restore of the latest state failed: " + ex.getMessage()).isNotNull();
						assertThat(ex.getMessage()).containsAnyOf(".snapshot.lz4", ".wal.lz4", "missing WAL index",
								"no matching backups", "no snapshot");
						failedClearly++;
					}
				}
			}
			finally {
				writing.set(false);
				writer.join(Duration.ofSeconds(15).toMillis());
			}
			assertThat(writerFailure.get()).isNull();
		}
		assertThat(restored).as("successful restores").isGreaterThan(10);
		// Not asserted > 0: whether a restore loses a race is timing; it must only never be wrong.
		assertThat(restored + failedClearly).isGreaterThan(10);
	}

}
