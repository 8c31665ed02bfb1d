package io.github.litestreamspring.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.interop.CommandResult;
import io.github.litestreamspring.interop.LitestreamCli;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Flag combinations that {@code litestream restore} v0.3.13 accepts, run with the real Litestream and with
 * ours on the same replica (two generations, the newer with several WAL indexes): both succeed or both
 * fail, and restore the same rows.
 */
class CliRestoreFlagsInteropTests {

	@TempDir
	static Path shared;

	@TempDir
	Path dir;

	private static String url;

	private static String older;

	private static String newer;

	/** A WAL index of the newer generation strictly between its first and its last. */
	private static long middleIndex;

	@BeforeAll
	static void replicateTwoGenerations() throws Exception {
		Path replica = shared.resolve("replica");
		url = "file://" + replica;
		FileReplicaClient client = new FileReplicaClient(replica);
		replicate(shared.resolve("first.db"), replica, 0, 20);
		older = client.generations().get(0);
		try (Stream<Path> files = Files.walk(replica.resolve(ReplicaPaths.generationPath("", older)))) {
			for (Path f : files.filter(Files::isRegularFile).toList()) {
				Files.setLastModifiedTime(f,
						FileTime.from(Files.getLastModifiedTime(f).toInstant().minus(Duration.ofMinutes(1))));
			}
		}
		replicate(shared.resolve("second.db"), replica, 100, 60);
		newer = client.generations().stream().filter((g) -> !g.equals(older)).findFirst().orElseThrow();
		List<Long> indexes = client.walSegments(newer).stream().map(WalSegmentInfo::index).distinct().toList();
		assertThat(indexes).as("WAL indexes of the newer generation").hasSizeGreaterThanOrEqualTo(3);
		middleIndex = indexes.get(indexes.size() / 2);
	}

	@Test
	void indexWithoutGenerationIsThatIndexInTheGenerationRestorePicks() throws Exception {
		assertSameOutcome("-index", Formats.hex(middleIndex));
	}

	@Test
	void generationIndexAndParallelismTogether() throws Exception {
		assertSameOutcome("-generation", older, "-index", "1", "-parallelism", "2");
	}

	@Test
	void parallelismBelowOneDownloadsOneAtATime() throws Exception {
		assertSameOutcome("-parallelism", "0");
	}

	@Test
	void replicaNameIsIgnoredWithAReplicaUrl() throws Exception {
		assertSameOutcome("-replica", "file");
		assertSameOutcome("-replica", "nosuch");
	}

	@Test
	void noExpandEnvIsAccepted() throws Exception {
		assertSameOutcome("-no-expand-env");
	}

	@Test
	void doubleDashOutputAndFlagEqualsValue() throws Exception {
		Path ours = this.dir.resolve("ours.db");
		Path theirs = this.dir.resolve("theirs.db");
		CliRun run = CliRun.run("restore", "--o", ours.toString(), "-generation=" + newer, url);
		CommandResult litestream = LitestreamCli.run("restore", "--o", theirs.toString(), "-generation=" + newer, url);
		assertThat(litestream.exitCode()).as(litestream.describe()).isZero();
		assertThat(run.exitCode()).as(run.describe()).isZero();
		assertThat(TestDatabase.rows(ours)).isEqualTo(TestDatabase.rows(theirs));
	}

	@Test
	void ifDbNotExistsWithAnExplicitValueLeavesTheOutputAlone() throws Exception {
		for (String flag : List.of("-if-db-not-exists", "-if-db-not-exists=true", "--if-db-not-exists")) {
			Path existing = Files.writeString(this.dir.resolve("existing.db"), "keep");
			CliRun run = CliRun.run("restore", flag, "-o", existing.toString(), url);
			CommandResult litestream = LitestreamCli.run("restore", flag, "-o", existing.toString(), url);
			assertThat(litestream.exitCode()).as(litestream.describe()).isZero();
			assertThat(run.exitCode()).as(flag + ": " + run.describe()).isZero();
			assertThat(Files.readString(existing)).isEqualTo("keep");
		}
	}

	@Test
	void ifReplicaExistsWithAGenerationThatIsNotThere() throws Exception {
		assertSameOutcome("-if-replica-exists", "-generation", "0123456789abcdef");
	}

	@Test
	void indexAndTimestampTogetherFailInBoth() throws Exception {
		assertSameOutcome("-index", "1", "-timestamp", "2026-01-02T03:04:05Z");
	}

	/** Both exit zero or both non-zero; when both restored, the same rows. */
	private void assertSameOutcome(String... flags) throws Exception {
		Path ours = this.dir.resolve("ours.db");
		Path theirs = this.dir.resolve("theirs.db");
		Files.deleteIfExists(ours);
		Files.deleteIfExists(theirs);
		List<String> args = new ArrayList<>(List.of("restore"));
		args.addAll(List.of(flags));
		args.addAll(List.of("-o", ours.toString(), url));
		CliRun run = CliRun.run(args.toArray(String[]::new));
		CommandResult litestream = LitestreamCli.restore(theirs, url, null, flags);
		assertThat(run.exitCode() == 0).as("ours: " + run.describe() + "\ntheirs: " + litestream.describe())
			.isEqualTo(litestream.exitCode() == 0);
		if (litestream.exitCode() == 0 && Files.exists(theirs)) {
			assertThat(TestDatabase.rows(ours)).as(String.join(" ", flags)).isEqualTo(TestDatabase.rows(theirs));
		}
		else {
			assertThat(ours).doesNotExist();
		}
	}

	private static void replicate(Path db, Path replica, int first, int batches) throws Exception {
		try (TestDatabase app = new TestDatabase(db);
				Replicator r = Replicated.replicator(db, new FileReplicaClient(replica))) {
			r.start();
			Replicated.write(app, r, first, batches);
		}
	}

}
