package io.github.litestreamspring.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.interop.CommandResult;
import io.github.litestreamspring.interop.LitestreamCli;
import io.github.litestreamspring.interop.LitestreamProcess;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI on a replica written by the real Litestream v0.3.13, and its listings next to Litestream's. */
class CliInteropTests {

	@TempDir
	Path dir;

	@Test
	void restoresAndListsAReplicaWrittenByLitestream() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replica = this.dir.resolve("replica");
		List<String> expected;
		try (TestDatabase app = new TestDatabase(db);
				LitestreamProcess litestream = LitestreamProcess.fileReplica(db, replica)
					.syncInterval(Duration.ofMillis(100))
					.monitorInterval(Duration.ofMillis(100))
					.minCheckpointPageCount(30)
					.maxCheckpointPageCount(120)
					.start(Files.createDirectories(this.dir.resolve("litestream")))) {
			for (int batch = 0; batch < 100; batch++) {
				app.insertBatch(batch, 10, 300);
				if (batch % 50 == 49) {
					Thread.sleep(300);
				}
			}
			expected = app.rows();
			litestream.stop();
		}
		String url = "file://" + replica;
		Path out = this.dir.resolve("restored.db");

		CliRun restore = CliRun.run("restore", "-o", out.toString(), url);
		CliRun ours = CliRun.run("wal", url);
		CommandResult theirs = LitestreamCli.wal(url, null);
		CliRun verify = CliRun.run("verify", url);

		assertThat(restore.exitCode()).as(restore.describe()).isZero();
		assertThat(TestDatabase.rows(out)).isEqualTo(expected);
		assertThat(theirs.exitCode()).as(theirs.describe()).isZero();
		// Same objects, same columns: generation, index, offset, size (times are printed alike too,
		// but the replica name differs: Litestream names a URL replica by its type as we do).
		assertThat(columns(ours.out(), 1, 5)).hasSizeGreaterThan(2).isEqualTo(columns(theirs.stdout(), 1, 5));
		assertThat(verify.exitCode()).as(verify.describe()).isZero();
		assertThat(verify.out()).contains("integrity_check:  ok");
	}

	/** Columns [from, to) of every data row of a table. */
	private static List<List<String>> columns(String table, int from, int to) {
		return table.strip().lines().skip(1).map((l) -> List.of(l.strip().split("\\s+")).subList(from, to)).toList();
	}

}
