package io.github.litestreamspring.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.CompactedWalInfo;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code restore} against a file replica written by the engine: latest, point in time, dry run, flags. */
class CliFileRestoreTests {

	@TempDir
	Path dir;

	@Test
	void restoresTheLatestStateFromAReplicaUrl() throws Exception {
		Path replica = this.dir.resolve("replica");
		List<String> expected = replicate(replica, 60);
		Path out = this.dir.resolve("restored.db");

		CliRun run = CliRun.run("restore", "-o", out.toString(), "file://" + replica);

		assertThat(run.exitCode()).as(run.describe()).isZero();
		assertThat(TestDatabase.rows(out)).isEqualTo(expected);
		assertThat(TestDatabase.integrityCheck(out)).isEqualTo("ok");
		assertThat(run.out()).contains("restored " + out).contains("MB/s");
	}

	@Test
	void restoresThePointInTimeGivenByTimestamp() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replica = this.dir.resolve("replica");
		List<String> before;
		Instant between;
		try (TestDatabase app = new TestDatabase(db); Replicator r = Replicated.replicator(db, new FileReplicaClient(replica))) {
			r.start();
			Replicated.write(app, r, 0, 20);
			before = app.rows();
			// File mtimes are the objects' times; leave a clear gap on both sides of the chosen instant.
			Thread.sleep(1100);
			between = Instant.now();
			Thread.sleep(1100);
			Replicated.write(app, r, 20, 20);
			assertThat(app.rows()).hasSizeGreaterThan(before.size());
		}
		Path out = this.dir.resolve("then.db");

		CliRun run = CliRun.run("restore", "-o", out.toString(), "-timestamp", between.toString(), "file://" + replica);

		assertThat(run.exitCode()).as(run.describe()).isZero();
		assertThat(TestDatabase.rows(out)).isEqualTo(before);
	}

	@Test
	void dryRunPrintsTheSnapshotSegmentsAndBytesAndWritesNothing() throws Exception {
		Path replica = this.dir.resolve("replica");
		replicate(replica, 60);
		FileReplicaClient client = new FileReplicaClient(replica);
		String generation = client.generations().get(0);
		Path out = this.dir.resolve("never.db");

		// The replica's compacted WAL: each sealed index is one object in the plan.
		List<CompactedWalInfo> sealed = client.compactedWals(generation)
			.stream()
			.filter(CompactedWalInfo::sealed)
			.toList();
		assertThat(sealed).as("sealed indexes").isNotEmpty();
		CliRun compacted = CliRun.run("restore", "--dry-run", "-o", out.toString(), "file://" + replica);
		assertThat(compacted.exitCode()).as(compacted.describe()).isZero();
		assertThat(compacted.out()).contains(" and " + sealed.size() + " compacted objects");
		for (CompactedWalInfo c : sealed) {
			assertThat(compacted.out()).containsPattern(Formats.hex(c.index()) + "\\s+00000000\\s+" + c.size()
					+ "\\s+.*compacted to " + Formats.hex(c.end()) + " \\(whole index\\)");
		}
		// Without it, every segment.
		org.springframework.util.FileSystemUtils
			.deleteRecursively(replica.resolve(ReplicaPaths.compactedPath("", generation)));
		List<SnapshotInfo> snapshots = client.snapshots(generation);
		List<WalSegmentInfo> segments = client.walSegments(generation);
		long bytes = snapshots.get(0).size() + segments.stream().mapToLong(WalSegmentInfo::size).sum();

		CliRun run = CliRun.run("restore", "--dry-run", "-o", out.toString(), "file://" + replica);

		assertThat(run.exitCode()).as(run.describe()).isZero();
		assertThat(snapshots).hasSize(1);
		assertThat(run.out()).contains("generation:  " + generation)
			.contains("snapshot:    index " + Formats.hex(snapshots.get(0).index()))
			.contains(segments.size() + " segments")
			.contains("fetch:       " + bytes + " bytes");
		for (WalSegmentInfo s : segments) {
			assertThat(run.out()).containsPattern(Formats.hex(s.index()) + "\\s+" + Formats.hex(s.offset()) + "\\s+"
					+ s.size());
		}
		assertThat(out).doesNotExist();
		assertThat(this.dir.resolve("never.db.tmp")).doesNotExist();

		CliRun json = CliRun.run("restore", "--dry-run", "--json", "-o", out.toString(), "file://" + replica);
		assertThat(json.out()).contains("\"generation\":\"" + generation + "\"").contains("\"bytes\":" + bytes);
	}

	@Test
	void ifDbNotExistsLeavesAnExistingDatabaseAloneAndExitsZero() throws Exception {
		Path replica = this.dir.resolve("replica");
		replicate(replica, 5);
		Path out = Files.writeString(this.dir.resolve("existing.db"), "not touched");

		CliRun skipped = CliRun.run("restore", "-if-db-not-exists", "-o", out.toString(), "file://" + replica);
		CliRun refused = CliRun.run("restore", "-o", out.toString(), "file://" + replica);

		assertThat(skipped.exitCode()).as(skipped.describe()).isZero();
		assertThat(skipped.err()).contains("already exists, skipping");
		assertThat(refused.exitCode()).as(refused.describe()).isEqualTo(1);
		assertThat(refused.err()).contains("already exists").contains("-if-db-not-exists");
		assertThat(Files.readString(out)).isEqualTo("not touched");
	}

	@Test
	void ifReplicaExistsTurnsAnEmptyReplicaIntoExitZero() throws Exception {
		Path empty = Files.createDirectories(this.dir.resolve("empty"));
		Path out = this.dir.resolve("out.db");

		CliRun skipped = CliRun.run("restore", "-if-replica-exists", "-o", out.toString(), "file://" + empty);
		CliRun failed = CliRun.run("restore", "-o", out.toString(), "file://" + empty);

		assertThat(skipped.exitCode()).as(skipped.describe()).isZero();
		assertThat(skipped.err()).contains("no matching backups found");
		assertThat(failed.exitCode()).as(failed.describe()).isEqualTo(1);
		assertThat(failed.err()).contains("error: no matching backups found in file://");
		assertThat(out).doesNotExist();
	}

	@Test
	void restoresUpToAnIndexOfAGeneration() throws Exception {
		Path replica = this.dir.resolve("replica");
		replicate(replica, 120);
		FileReplicaClient client = new FileReplicaClient(replica);
		String generation = client.generations().get(0);
		long first = client.walSegments(generation).get(0).index();
		Path out = this.dir.resolve("first-index.db");

		CliRun run = CliRun.run("restore", "-o", out.toString(), "-generation", generation, "-index",
				Formats.hex(first), "--json", "file://" + replica);

		assertThat(run.exitCode()).as(run.describe()).isZero();
		assertThat(run.out()).contains("\"outcome\":\"restored\"").contains("\"index\":\"" + Formats.hex(first) + "\"");
		assertThat(TestDatabase.integrityCheck(out)).isEqualTo("ok");
		assertThat(TestDatabase.rows(out).size()).isLessThan(1200);
	}

	@Test
	void badCommandLinesAreUsageErrors() {
		Map<String, CliRun> runs = Map.of(
				"index and timestamp", CliRun.run("restore", "-o", "/tmp/x.db", "-index", "1", "-timestamp",
						"2026-01-02T03:04:05Z", "file:///r"),
				"database path without config", CliRun.run("restore", "/var/lib/app.db"),
				"config and url", CliRun.run("restore", "-config", "a.yml", "-o", "/tmp/x.db", "file:///r"),
				"neither config nor url", CliRun.run("generations"),
				"bad timestamp", CliRun.run("restore", "-o", "/tmp/x.db", "-timestamp", "yesterday", "file:///r"),
				"unknown option", CliRun.run("restore", "--frobnicate", "file:///r"),
				"url without -o", CliRun.run("restore", "file:///r"),
				"no subcommand", CliRun.run());
		runs.forEach((name, run) -> assertThat(run.exitCode()).as(name + ": " + run.describe()).isEqualTo(2));
		assertThat(runs.get("index and timestamp").err()).contains("-index or -timestamp");
		assertThat(runs.get("database path without config").err()).contains("needs -config");
		assertThat(runs.get("bad timestamp").err()).contains("RFC 3339");
	}

	private List<String> replicate(Path replica, int batches) throws Exception {
		Path db = this.dir.resolve("app.db");
		try (TestDatabase app = new TestDatabase(db);
				Replicator r = Replicated.replicator(db, new FileReplicaClient(replica))) {
			r.start();
			Replicated.write(app, r, 0, batches);
			return app.rows();
		}
	}

}
