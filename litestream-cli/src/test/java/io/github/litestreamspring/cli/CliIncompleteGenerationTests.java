package io.github.litestreamspring.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The newest generation has WAL but no snapshot (a crash during its first snapshot): {@code restore}
 * falls back to the newest complete one with a warning; {@code verify} says so and exits 3, so that a
 * scheduled check does not call it success; asking for the incomplete generation fails.
 */
class CliIncompleteGenerationTests {

	@TempDir
	Path dir;

	private Path replica;

	private String complete;

	private String incomplete;

	private List<String> completeRows;

	@BeforeEach
	void completeGenerationThenANewerOneWithoutSnapshot() throws Exception {
		this.replica = this.dir.resolve("replica");
		FileReplicaClient client = new FileReplicaClient(this.replica);
		this.completeRows = replicate(this.dir.resolve("first.db"), 0);
		this.complete = client.generations().get(0);
		try (Stream<Path> files = Files.walk(this.replica.resolve(ReplicaPaths.generationPath("", this.complete)))) {
			for (Path f : files.filter(Files::isRegularFile).toList()) {
				Files.setLastModifiedTime(f,
						FileTime.from(Files.getLastModifiedTime(f).toInstant().minus(Duration.ofMinutes(1))));
			}
		}
		replicate(this.dir.resolve("second.db"), 100);
		this.incomplete = client.generations().stream().filter((g) -> !g.equals(this.complete)).findFirst().orElseThrow();
		deleteSnapshots(this.replica, this.incomplete);
	}

	@Test
	void restoreFallsBackWithAWarningNamingTheIncompleteGeneration() throws Exception {
		Path out = this.dir.resolve("restored.db");

		CliRun run = CliRun.run("restore", "-o", out.toString(), "file://" + this.replica);

		assertThat(run.exitCode()).as(run.describe()).isZero();
		assertThat(run.err()).contains("warning:").contains("skipped generation " + this.incomplete)
			.contains("no snapshot");
		assertThat(run.out()).contains("generation " + this.complete);
		assertThat(TestDatabase.rows(out)).isEqualTo(this.completeRows);
	}

	@Test
	void verifyReportsTheFallbackWithItsOwnExitCode() {
		CliRun text = CliRun.run("verify", "file://" + this.replica);
		CliRun json = CliRun.run("verify", "--json", "file://" + this.replica);

		assertThat(text.exitCode()).as(text.describe()).isEqualTo(LitestreamCommand.FELL_BACK);
		assertThat(text.out()).contains("integrity_check:  ok").contains("skipped:").contains(this.incomplete);
		assertThat(text.err()).contains("warning:").contains(this.incomplete);
		assertThat(json.exitCode()).as(json.describe()).isEqualTo(LitestreamCommand.FELL_BACK);
		assertThat(json.out()).contains("\"fell_back\":true").contains("\"generation\":\"" + this.incomplete + "\"");
	}

	@Test
	void restoringTheIncompleteGenerationByNameFails() {
		Path out = this.dir.resolve("restored.db");

		CliRun run = CliRun.run("restore", "-o", out.toString(), "-generation", this.incomplete,
				"file://" + this.replica);

		assertThat(run.exitCode()).as(run.describe()).isEqualTo(LitestreamCommand.ERROR);
		assertThat(run.err()).contains(this.incomplete).contains("no snapshot");
		assertThat(out).doesNotExist();
	}

	private List<String> replicate(Path db, int first) throws Exception {
		try (TestDatabase app = new TestDatabase(db);
				Replicator r = Replicated.replicator(db, new FileReplicaClient(this.replica))) {
			r.start();
			Replicated.write(app, r, first, 20);
			return app.rows();
		}
	}

	private static void deleteSnapshots(Path replica, String generation) throws IOException {
		try (Stream<Path> snapshots = Files.list(replica.resolve(ReplicaPaths.snapshotsPath("", generation)))) {
			for (Path snapshot : snapshots.toList()) {
				Files.delete(snapshot);
			}
		}
	}

}
