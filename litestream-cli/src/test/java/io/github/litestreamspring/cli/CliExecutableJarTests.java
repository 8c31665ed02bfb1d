package io.github.litestreamspring.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The repackaged jar as an operator runs it: {@code java -jar litestream-cli.jar restore ...}. Runs in
 * the integration-test phase (failsafe), after packaging; under surefire the jar does not exist yet and
 * the test is skipped.
 */
class CliExecutableJarTests {

	@TempDir
	Path dir;

	@Test
	void theJarRestoresWithResultsOnStdoutAndLogsOnStderr() throws Exception {
		String jar = System.getProperty("cli.jar");
		assumeTrue(jar != null && Files.isRegularFile(Path.of(jar)), "the executable jar is built in 'package'");
		Path db = this.dir.resolve("app.db");
		Path replica = this.dir.resolve("replica");
		List<String> expected;
		try (TestDatabase app = new TestDatabase(db);
				Replicator r = Replicated.replicator(db, new FileReplicaClient(replica))) {
			r.start();
			Replicated.write(app, r, 0, 50);
			expected = app.rows();
		}
		Path out = this.dir.resolve("restored.db");
		String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
		Process p = new ProcessBuilder(java, "-jar", jar, "restore", "-o", out.toString(), "file://" + replica)
			.redirectOutput(this.dir.resolve("stdout").toFile())
			.redirectError(this.dir.resolve("stderr").toFile())
			.start();
		assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
		String stdout = Files.readString(this.dir.resolve("stdout"));
		String stderr = Files.readString(this.dir.resolve("stderr"));

		assertThat(p.exitValue()).as(stdout + stderr).isZero();
		assertThat(TestDatabase.rows(out)).isEqualTo(expected);
		assertThat(stdout).startsWith("restored " + out).contains("MB/s").doesNotContain("INFO");
		assertThat(stderr).contains("INFO").contains("restoring generation");

		Process usage = new ProcessBuilder(java, "-jar", jar, "restore", "--no-such-flag").start();
		assertThat(usage.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(usage.exitValue()).isEqualTo(2);
	}

}
