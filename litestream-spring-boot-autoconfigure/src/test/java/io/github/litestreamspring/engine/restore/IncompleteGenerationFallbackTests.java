package io.github.litestreamspring.engine.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A crash during a generation's first snapshot leaves a newest generation with WAL but no snapshot. A
 * restore falls back to the newest generation that has one, and says which newer one it skipped; it
 * never fails outright while a restorable generation exists, and never picks an older one silently.
 */
class IncompleteGenerationFallbackTests {

	@TempDir
	Path dir;

	private Path replica;

	private String complete;

	private List<String> completeRows;

	private String incomplete;

	@BeforeEach
	void replicateACompleteGenerationThenANewerOneWithoutSnapshot() throws Exception {
		this.replica = this.dir.resolve("replica");
		this.completeRows = replicate(this.dir.resolve("first.db"), 0);
		FileReplicaClient client = new FileReplicaClient(this.replica);
		this.complete = client.generations().get(0);
		// The complete generation's objects a minute older: the second one is clearly the newest.
		age(this.replica.resolve(ReplicaPaths.generationPath("", this.complete)), Duration.ofMinutes(1));
		replicate(this.dir.resolve("second.db"), 100);
		this.incomplete = client.generations().stream().filter((g) -> !g.equals(this.complete)).findFirst().orElseThrow();
		try (Stream<Path> snapshots = Files.list(this.replica.resolve(ReplicaPaths.snapshotsPath("", this.incomplete)))) {
			for (Path snapshot : snapshots.toList()) {
				Files.delete(snapshot);
			}
		}
		assertThat(client.walSegments(this.incomplete)).isNotEmpty();
	}

	@Test
	void restoreFallsBackToTheNewestCompleteGenerationAndNamesTheSkippedOne() throws Exception {
		Path out = this.dir.resolve("restored.db");

		RestoreResult result = new Restorer(new FileReplicaClient(this.replica)).restore(RestoreOptions.latest(out));

		assertThat(result.plan().generation()).isEqualTo(this.complete);
		assertThat(TestDatabase.rows(out)).isEqualTo(this.completeRows);
		List<WalSegmentInfo> segments = new FileReplicaClient(this.replica).walSegments(this.incomplete);
		Instant newest = segments.stream().map(WalSegmentInfo::createdAt).max(Instant::compareTo).orElseThrow();
		assertThat(result.plan().skipped())
			.containsExactly(new IncompleteGeneration(this.incomplete, newest, segments.size()));
		assertThat(result.plan().describeFallback()).contains(this.incomplete).contains(newest.toString())
			.contains(this.complete);
	}

	@Test
	void theIndexOfAGenerationChosenByFallbackIsThatGenerations() throws Exception {
		Path out = this.dir.resolve("restored.db");
		RestoreOptions upToFirstIndex = new RestoreOptions(out, null, 0, null, 0, false, false, false);

		RestoreResult result = new Restorer(new FileReplicaClient(this.replica)).restore(upToFirstIndex);

		assertThat(result.plan().generation()).isEqualTo(this.complete);
		assertThat(result.plan().lastIndex()).isZero();
		assertThat(result.plan().skipped()).extracting(IncompleteGeneration::generation).containsExactly(this.incomplete);
	}

	@Test
	void askingForTheIncompleteGenerationByNameStillFailsNamingIt() {
		Path out = this.dir.resolve("restored.db");
		RestoreOptions options = new RestoreOptions(out, this.incomplete, -1, null, 0, false, true, false);

		assertThatThrownBy(() -> new Restorer(new FileReplicaClient(this.replica)).restore(options))
			.isInstanceOf(LitestreamException.class)
			.hasMessageContaining(this.incomplete)
			.hasMessageContaining("no snapshot");
		assertThat(out).doesNotExist();
	}

	@Test
	void aGenerationWithNeitherSnapshotNorWalIsIgnored() throws Exception {
		Path empty = this.replica.resolve(ReplicaPaths.generationPath("", "ffffffffffffffff"));
		Files.createDirectories(empty.resolve("snapshots"));
		Files.createDirectories(empty.resolve("wal"));

		RestorePlan plan = new Restorer(new FileReplicaClient(this.replica))
			.plan(RestoreOptions.latest(this.dir.resolve("restored.db")))
			.orElseThrow();

		assertThat(plan.generation()).isEqualTo(this.complete);
		assertThat(plan.skipped()).extracting(IncompleteGeneration::generation).containsExactly(this.incomplete);
	}

	@Test
	void anIncompleteGenerationOlderThanTheChosenOneIsNotReported() throws Exception {
		age(this.replica.resolve(ReplicaPaths.generationPath("", this.incomplete)), Duration.ofMinutes(2));

		RestorePlan plan = new Restorer(new FileReplicaClient(this.replica))
			.plan(RestoreOptions.latest(this.dir.resolve("restored.db")))
			.orElseThrow();

		assertThat(plan.generation()).isEqualTo(this.complete);
		assertThat(plan.skipped()).isEmpty();
	}

	/** Replicates 12 batches of 10 rows from batch {@code first} to {@link #replica}; returns the rows. */
	private List<String> replicate(Path db, int first) throws Exception {
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1))
			.withCheckpointPageCounts(30, 120, 0);
		Replica target = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(50)),
				new FileReplicaClient(this.replica));
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = new Replicator(options, List.of(target))) {
			replicator.start();
			for (int batch = first; batch < first + 12; batch++) {
				app.insertBatch(batch, 10, 300);
				if (batch % 4 == 3) {
					replicator.syncNow();
				}
			}
			replicator.syncNow();
			return app.rows();
		}
	}

	private static void age(Path generation, Duration by) throws IOException {
		try (Stream<Path> files = Files.walk(generation)) {
			for (Path file : files.filter(Files::isRegularFile).toList()) {
				Files.setLastModifiedTime(file,
						FileTime.from(Files.getLastModifiedTime(file).toInstant().minus(by)));
			}
		}
	}

}
