package io.github.litestreamspring.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI against S3Proxy: a bare replica URL with connection flags, the application's YAML with
 * {@code spring.cloud.aws.*} and environment overrides, listings compared with the bucket's objects,
 * and the errors an operator sees for a wrong URL or a missing bucket.
 */
class CliS3Tests {

	private static final String BUCKET = "cli-tests";

	private static S3ProxyServer s3;

	private static Map<String, String> credentials;

	@TempDir
	Path dir;

	@BeforeAll
	static void startS3() {
		s3 = S3ProxyServer.shared();
		s3.createBucket(BUCKET);
		credentials = Map.of("LITESTREAM_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY, "LITESTREAM_SECRET_ACCESS_KEY",
				S3ProxyServer.SECRET_KEY);
	}

	@Test
	void restoresFromABareUrlWithEndpointFlags() throws Exception {
		List<String> expected = replicate("bare", 60);
		Path out = this.dir.resolve("restored.db");

		CliRun run = CliRun.run(credentials, "restore", "-o", out.toString(), "--endpoint", s3.endpoint().toString(),
				"--region", "us-east-1", "--force-path-style", "s3://" + BUCKET + "/bare");

		assertThat(run.exitCode()).as(run.describe()).isZero();
		assertThat(TestDatabase.rows(out)).isEqualTo(expected);
		assertThat(run.out() + run.err()).doesNotContain(S3ProxyServer.SECRET_KEY);
	}

	@Test
	void restoresWithTheApplicationsYamlAndEnvironmentOverrides() throws Exception {
		List<String> expected = replicate("yaml", 40);
		Path data = Files.createDirectories(this.dir.resolve("data"));
		// What an application.yml of a starter user looks like; the secret is wrong in the file and
		// right in the environment, which must win, as it does in Spring Boot.
		Path yaml = Files.writeString(this.dir.resolve("application.yml"), """
				spring:
				  datasource:
				    url: jdbc:sqlite:${DATA_DIR}/app.db
				  cloud:
				    aws:
				      endpoint: %s
				      region:
				        static: us-east-1
				      credentials:
				        access-key: %s
				        secret-key: wrong-secret
				      s3:
				        path-style-access-enabled: true
				litestream:
				  replicas:
				    - name: primary
				      url: s3://%s/yaml
				""".formatted(s3.endpoint(), S3ProxyServer.ACCESS_KEY, BUCKET));
		Map<String, String> env = Map.of("DATA_DIR", data.toString(), "SPRING_CLOUD_AWS_CREDENTIALS_SECRETKEY",
				S3ProxyServer.SECRET_KEY);

		CliRun run = CliRun.run(env, "restore", "-config", yaml.toString());

		assertThat(run.exitCode()).as(run.describe()).isZero();
		assertThat(TestDatabase.rows(data.resolve("app.db"))).isEqualTo(expected);
		assertThat(run.out()).contains("from primary (s3://" + BUCKET + "/yaml)");
		assertThat(run.out() + run.err()).doesNotContain(S3ProxyServer.SECRET_KEY);
	}

	@Test
	void listingsMatchTheObjectsInTheBucket() throws Exception {
		replicate("listed", 120);
		Set<String> inBucket = new TreeSet<>();
		Set<String> compacted = new TreeSet<>();
		try (S3Client client = s3.client()) {
			for (S3Object o : client.listObjectsV2Paginator((b) -> b.bucket(BUCKET).prefix("listed/")).contents()) {
				// Litestream's listings (and ours of the same name) show Litestream's objects, not our
				// compacted WAL.
				(o.key().contains("/compacted/") ? compacted : inBucket).add(o.key() + " " + o.size());
			}
		}
		assertThat(compacted).as("compacted WAL beside the segments").isNotEmpty();
		String[] target = { "--endpoint", s3.endpoint().toString(), "s3://" + BUCKET + "/listed" };

		CliRun snapshots = CliRun.run(credentials, concat(target, "snapshots", "--json"));
		CliRun wal = CliRun.run(credentials, concat(target, "wal", "--json"));
		CliRun generations = CliRun.run(credentials, concat(target, "generations"));

		assertThat(snapshots.exitCode()).as(snapshots.describe()).isZero();
		assertThat(wal.exitCode()).as(wal.describe()).isZero();
		Set<String> listed = new TreeSet<>();
		Matcher m = Pattern.compile("\"generation\":\"(\\w+)\",\"index\":\\d+,\"index_hex\":\"(\\w+)\","
				+ "(?:\"offset\":(\\d+),)?\"size\":(\\d+)").matcher(snapshots.out() + wal.out());
		while (m.find()) {
			String name = (m.group(3) == null) ? "snapshots/" + m.group(2) + ".snapshot.lz4"
					: "wal/" + m.group(2) + "_" + String.format("%08x", Long.parseLong(m.group(3))) + ".wal.lz4";
			listed.add("listed/generations/" + m.group(1) + "/" + name + " " + m.group(4));
		}
		assertThat(listed).hasSizeGreaterThan(3).isEqualTo(inBucket);
		String generation = inBucket.iterator().next().split("/")[2];
		assertThat(generations.exitCode()).as(generations.describe()).isZero();
		assertThat(generations.out().lines().toList()).hasSize(2)
			.first()
			.asString()
			.matches("name\\s+generation\\s+lag\\s+start\\s+end");
		assertThat(generations.out()).containsPattern("s3\\s+" + generation + "\\s+\\d+s\\s+20\\d\\d-");
	}

	@Test
	void aMissingBucketIsAClearError() {
		CliRun run = CliRun.run(credentials, "snapshots", "--endpoint", s3.endpoint().toString(),
				"s3://no-such-bucket-here/db");

		assertThat(run.exitCode()).as(run.describe()).isEqualTo(1);
		assertThat(run.err()).startsWith("error: ").contains("no-such-bucket-here").doesNotContain("\tat ");
	}

	@Test
	void aWrongUrlIsAClearError() {
		CliRun scheme = CliRun.run("generations", "ftp://example.com/db");
		CliRun noBucket = CliRun.run(credentials, "generations", "s3:///path");

		assertThat(scheme.exitCode()).as(scheme.describe()).isEqualTo(1);
		assertThat(scheme.err()).contains("unsupported replica URL 'ftp://example.com/db'").doesNotContain("\tat ");
		assertThat(noBucket.exitCode()).as(noBucket.describe()).isEqualTo(1);
		assertThat(noBucket.err()).startsWith("error: ").doesNotContain("\tat ");
	}

	private List<String> replicate(String path, int batches) throws Exception {
		Path db = this.dir.resolve(path + ".db");
		S3ReplicaClient client = S3ReplicaClient.owning(s3.client(), BUCKET, path, S3ReplicaOptions.defaults());
		try (TestDatabase app = new TestDatabase(db); Replicator r = Replicated.replicator(db, client)) {
			r.start();
			Replicated.write(app, r, 0, batches);
			return app.rows();
		}
	}

	/** {@code first}, then {@code target}. */
	private static String[] concat(String[] target, String... first) {
		String[] all = java.util.Arrays.copyOf(first, first.length + target.length);
		System.arraycopy(target, 0, all, first.length, target.length);
		return all;
	}

}
