package io.github.litestreamspring.benchmarks;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves the benchmark still runs end to end (S3Proxy, both replicators, every scenario) in a
 * minute-long miniature: one repetition, one rate, a 2 MiB database, 40 transactions; the hand-over
 * scenario with one hand-over and a 1.5 s lease TTL. It asserts
 * that the report has every table, column and row, never a timing: those belong in
 * docs/benchmarks.md, measured on a quiet machine.
 */
class BenchmarkSmokeTests {

	@Test
	void producesEveryTableRowAndColumn(@TempDir Path work) throws Exception {
		BenchmarkConfig config = BenchmarkConfig.parse("--seconds", "1", "--warmup", "0.5", "--idle", "1", "--reps",
				"1", "--rates", "50", "--db-mb", "2", "--tx", "40", "--work", work.toString(), "--scenarios",
				"load,restore");

		String report = Benchmark.run(config);

		assertThat(report).contains("| metric | off | ours default | ours low-latency | Litestream |"
				+ " default / Litestream | low-latency / Litestream |");
		assertThat(report).contains("| metric | ours | Litestream | ours / Litestream |");
		for (String row : List.of("lag p50 @ 50 tx/s", "lag p99 @ 50 tx/s", "lag max @ 50 tx/s",
				"commits never seen durable @ 50 tx/s", "replicator CPU s/min, load @ 50 tx/s",
				"replicator CPU s/min, idle @ 50 tx/s", "replicator peak RSS MiB @ 50 tx/s",
				"JVM heap peak MiB (incl. writer) @ 50 tx/s", "PUT/min, load @ 50 tx/s", "GET/min, load @ 50 tx/s",
				"LIST/min, load @ 50 tx/s", "PUT/min, idle @ 50 tx/s", "GET/min, idle @ 50 tx/s",
				"LIST/min, idle @ 50 tx/s", "| tx/s |", "WAL max MiB", "tx/s vs replication off",
				"(i) snapshot only", "(ii) snapshot + 40 small tx", "wall s (process start to exit)",
				"MB/s (database size / wall)", "peak RSS MiB", "CPU s of the restoring process",
				"CPU s of S3Proxy meanwhile", "s inside Restorer.restore()")) {
			assertThat(report).as(row).contains(row);
		}
		// Every replicating side measured lag: the observer saw each one's objects.
		String p50 = report.lines().filter((l) -> l.startsWith("| lag p50 @ 50 tx/s")).findFirst().orElseThrow();
		assertThat(p50.split("\\|")).hasSize(8);
		assertThat(p50).doesNotContain("n/a");
	}

	@Test
	void followerScenarioProducesItsTableWithGapFreeReadsAndNoWriteToTheReplica(@TempDir Path work) throws Exception {
		BenchmarkConfig config = BenchmarkConfig.parse("--seconds", "2", "--warmup", "0.5", "--idle", "2", "--reps", "1",
				"--rates", "50", "--work", work.toString(), "--scenarios", "follower");

		String report = Benchmark.run(config);

		assertThat(report).contains("| metric | 50 tx/s |");
		for (String row : List.of("staleness p50 s", "staleness p99 s", "staleness max s", "apply MB/s",
				"follower LIST/min, load", "follower GET/min, load", "follower LIST/min, idle", "follower GET/min, idle")) {
			assertThat(report).as(row).contains(row);
		}
		assertThat(report).contains("| reads that were not a gap-free prefix, or went backwards | " + Report.number(0) + " |");
		assertThat(report).contains("| follower PUT/min (must be 0) | " + Report.number(0) + " |");
		assertThat(report).contains("| follower GET/min, idle | " + Report.number(0) + " |");
	}

	@Test
	void handoverScenarioProducesItsTablesAndChecksEveryAcknowledgedCommit(@TempDir Path work) throws Exception {
		BenchmarkConfig config = BenchmarkConfig.parse("--seconds", "1", "--idle", "1", "--reps", "1", "--rates", "50",
				"--handovers", "1", "--ttl", "1.5", "--lease-idle-after", "1", "--lease-idle-ttl", "3", "--work",
				work.toString(), "--scenarios", "handover");

		String report = Benchmark.run(config);

		assertThat(report).contains("| metric | 50 tx/s |");
		assertThat(report).contains("| metric | lease off | holder, lease never idle | holder, idle lease | "
				+ "requester of the active lease | requester of the idle lease |");
		assertThat(report).contains("| metric | ours default | ours low-latency |");
		for (String row : List.of("write unavailability p50 s", "write unavailability p99 s",
				"write unavailability max s", "hand-over time p50 s", "writes paused → lease transferred",
				"lease transferred → new instance's first commit", "writes refused by the old instance per hand-over",
				"hand-overs that continued the same generation", "| hand-overs | " + Report.number(1) + " |",
				"acknowledged commits (all instances)", "| PUT/min |", "| GET/min |", "| LIST/min |",
				"commits the killed writer acknowledged", "of which missing from the final restore (lost)",
				"age of the oldest lost commit at the kill s (RPO)", "failover s (kill → new instance's first commit)")) {
			assertThat(report).as(row).contains(row);
		}
		// The idle lease is taken, and its holder's generation continued: a fact, not a timing.
		assertThat(report).containsPattern("\\| requester continued the holder's generation \\(1 = yes\\) \\|[^\\n]*\\| "
				+ java.util.regex.Pattern.quote(Report.number(1)) + " \\|");
		assertThat(report).contains("requester's wait for the lease s");
		// A planned hand-over loses nothing: that is a count, not a timing.
		assertThat(report)
			.contains("| acknowledged commits missing from the final restore | " + Report.number(0) + " |");
	}

}
