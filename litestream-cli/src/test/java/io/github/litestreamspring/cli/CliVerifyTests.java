package io.github.litestreamspring.cli;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code verify}: restore to scratch, integrity_check, report, clean up. */
class CliVerifyTests {

	@TempDir
	Path dir;

	@Test
	void reportsOkWithTimesAndLeavesNoScratchFile() throws Exception {
		Path replica = replicate();
		long tmpFilesBefore = verifyDirs();

		CliRun run = CliRun.run("verify", "--json", "file://" + replica);

		assertThat(run.exitCode()).as(run.describe()).isZero();
		assertThat(run.out()).contains("\"ok\":true").contains("\"integrity_check\":\"ok\"")
			.containsPattern("\"restore_millis\":\\d+").containsPattern("\"check_millis\":\\d+")
			.contains("\"kept\":null");
		assertThat(verifyDirs()).isEqualTo(tmpFilesBefore);
	}

	@Test
	void keepsTheRestoredDatabaseWhenAskedTo() throws Exception {
		Path replica = replicate();
		Path kept = this.dir.resolve("kept.db");

		CliRun run = CliRun.run("verify", "-o", kept.toString(), "file://" + replica);

		assertThat(run.exitCode()).as(run.describe()).isZero();
		assertThat(run.out()).contains("integrity_check:  ok").contains("kept:             " + kept);
		assertThat(TestDatabase.rows(kept)).hasSize(300);
	}

	@Test
	void failsOnADamagedReplica() throws Exception {
		Path replica = replicate();
		try (Stream<Path> files = Files.walk(replica)) {
			Path snapshot = files.filter((p) -> p.toString().endsWith(".snapshot.lz4")).findFirst().orElseThrow();
			try (RandomAccessFile f = new RandomAccessFile(snapshot.toFile(), "rw")) {
				f.seek(f.length() / 2);
				f.write(new byte[64]);
			}
		}

		CliRun run = CliRun.run("verify", "file://" + replica);

		assertThat(run.exitCode()).as(run.describe()).isEqualTo(1);
		assertThat(run.err()).startsWith("error: ");
	}

	@Test
	void failsOnAnEmptyReplica() throws Exception {
		Path empty = Files.createDirectories(this.dir.resolve("empty"));

		CliRun run = CliRun.run("verify", "file://" + empty);

		assertThat(run.exitCode()).as(run.describe()).isEqualTo(1);
		assertThat(run.err()).contains("no matching backups found");
	}

	private Path replicate() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replica = this.dir.resolve("replica");
		try (TestDatabase app = new TestDatabase(db);
				Replicator r = Replicated.replicator(db, new FileReplicaClient(replica))) {
			r.start();
			Replicated.write(app, r, 0, 30);
		}
		return replica;
	}

	private static long verifyDirs() throws Exception {
		try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
			return tmp.filter((p) -> p.getFileName().toString().startsWith("litestream-verify-")).count();
		}
	}

}
