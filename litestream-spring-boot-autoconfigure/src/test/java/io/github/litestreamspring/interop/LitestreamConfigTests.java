package io.github.litestreamspring.interop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks that {@link LitestreamConfig} renders YAML that the real Litestream v0.3.13 accepts.
 */
class LitestreamConfigTests {

	@TempDir
	Path tmp;

	@Test
	void durationsUseGoSyntax() {
		assertThat(LitestreamConfig.goDuration(Duration.ofMillis(100))).isEqualTo("100ms");
		assertThat(LitestreamConfig.goDuration(Duration.ofMillis(1500))).isEqualTo("1500ms");
		assertThat(LitestreamConfig.goDuration(Duration.ofMinutes(2))).isEqualTo("120s");
		assertThat(LitestreamConfig.goDuration(Duration.ofNanos(500))).isEqualTo("500ns");
	}

	@Test
	void valuesAreDoubleQuotedWithEscapes() {
		assertThat(LitestreamConfig.quote("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
	}

	@Test
	void s3ConfigWithAllOptionsIsAcceptedByLitestream() throws Exception {
		LitestreamConfig config = LitestreamProcess
			.s3Replica(this.tmp.resolve("app.db"), new LitestreamConfig.S3Replica("bucket", "dbs/app",
					"http://127.0.0.1:1", "us-east-1", "key", "secret"))
			.syncInterval(Duration.ofMillis(100))
			.monitorInterval(Duration.ofMillis(100))
			.checkpointInterval(Duration.ofSeconds(5))
			.minCheckpointPageCount(10)
			.maxCheckpointPageCount(100)
			.snapshotInterval(Duration.ofHours(1))
			.retention(Duration.ofHours(2))
			.logLevel("debug");
		Path file = config.writeTo(this.tmp.resolve("litestream.yml"));

		CommandResult databases = LitestreamCli.run("databases", "-config", file.toString());

		assertThat(config.toYaml()).contains("force-path-style: true", "endpoint: \"http://127.0.0.1:1\"",
				"access-key-id: \"key\"", "min-checkpoint-page-count: 10", "sync-interval: 100ms");
		assertThat(databases.exitCode()).as(databases.describe()).isZero();
		assertThat(LitestreamCli.rows(databases)).as(databases.describe())
			.containsExactly(List.of(this.tmp.resolve("app.db").toAbsolutePath().toString(), "s3"));
	}

	@Test
	void s3ReplicaIsAddressedPathStyleAtTheEndpoint() throws Exception {
		// Port 1 on loopback refuses at once; the error shows the URL Litestream built.
		// With a config, v0.3.13 stats the database path before it looks at the replica.
		Path db = Files.createFile(this.tmp.resolve("app.db"));
		Path file = LitestreamConfig
			.s3Replica(db, new LitestreamConfig.S3Replica("bucket", "dbs/app", "http://127.0.0.1:1", "us-east-1",
					"key", "secret"))
			.writeTo(this.tmp.resolve("litestream.yml"));

		CommandResult generations = LitestreamCli.generations(db.toAbsolutePath().toString(), file);

		assertThat(generations.stdout() + generations.stderr()).as(generations.describe())
			.contains("http://127.0.0.1:1/bucket?delimiter=%2F&prefix=dbs%2Fapp%2Fgenerations%2F");
	}

}
