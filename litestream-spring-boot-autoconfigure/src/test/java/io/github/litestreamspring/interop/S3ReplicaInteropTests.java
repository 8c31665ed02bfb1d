package io.github.litestreamspring.interop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Byte compatibility with the real Litestream v0.3.13 on an S3 replica (S3Proxy on loopback), in both
 * directions. Each test writes under its own random path of a bucket of this class, so the tests can
 * share the server with everyone else.
 */
class S3ReplicaInteropTests {

	static final String BUCKET = "interop";

	static S3ProxyServer server;

	static S3Client s3;

	@TempDir
	Path dir;

	@BeforeAll
	static void startServer() {
		server = S3ProxyServer.shared();
		server.createBucket(BUCKET);
		s3 = server.client();
	}

	@AfterAll
	static void closeClient() {
		s3.close();
	}

	@Test
	void litestreamRestoresWhatOurEngineReplicatedToS3AcrossWalRestarts() throws Exception {
		Path db = this.dir.resolve("app.db");
		String root = "ours/" + UUID.randomUUID() + "/app.db";
		// Small checkpoint thresholds: the WAL restarts several times, so the replica holds segments of
		// several indexes after one snapshot, which is what Litestream's restore must stitch together.
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1))
			.withCheckpointPageCounts(30, 120, 0);
		S3ReplicaClient client = new S3ReplicaClient(s3, BUCKET, root, S3ReplicaOptions.defaults());
		try (TestDatabase app = new TestDatabase(db)) {
			try (Replicator replicator = new Replicator(options, List.of(new Replica(
					ReplicaOptions.defaults("s3").withSyncInterval(Duration.ofMillis(50)), client)))) {
				replicator.start();
				for (int batch = 0; batch < 120; batch++) {
					app.insertBatch(batch, 10, 300);
					if (batch % 10 == 0) {
						replicator.syncNow();
					}
				}
				assertThat(replicator.syncNow().index()).as("WAL index after restarts").isGreaterThanOrEqualTo(3);
				assertThat(replicator.status().replicas().get(0).position()).isEqualTo(replicator.status().position());
			}
			assertThat(walIndexes(root)).as("WAL indexes in the bucket").isGreaterThanOrEqualTo(3);
			List<String> expected = app.rows();
			assertThat(expected).hasSize(1200);

			// v0.3.13 takes a custom endpoint only from a config file; restore looks the replica up by
			// the database path written there.
			Path config = LitestreamConfig.s3Replica(db, s3Replica(root)).writeTo(this.dir.resolve("litestream.yml"));
			Path restored = this.dir.resolve("by-litestream.db");
			CommandResult result = LitestreamCli.restore(restored, db.toAbsolutePath().toString(), config);
			assertThat(result.exitCode()).as(result.describe()).isZero();
			assertThat(TestDatabase.rows(restored)).isEqualTo(expected);
			assertThat(TestDatabase.integrityCheck(restored)).isEqualTo("ok");
		}
	}

	@Test
	void ourRestoreReadsWhatLitestreamReplicatedToS3() throws Exception {
		Path db = this.dir.resolve("app.db");
		String root = "theirs/" + UUID.randomUUID() + "/app.db";
		Path work = Files.createDirectories(this.dir.resolve("litestream"));
		try (TestDatabase app = new TestDatabase(db)) {
			List<String> expected;
			try (LitestreamProcess litestream = LitestreamProcess.s3Replica(db, s3Replica(root))
				.syncInterval(Duration.ofMillis(100))
				.monitorInterval(Duration.ofMillis(100))
				.minCheckpointPageCount(30)
				.maxCheckpointPageCount(120)
				.start(work)) {
				for (int batch = 0; batch < 150; batch++) {
					app.insertBatch(batch, 10, 300);
					if (batch % 50 == 49) {
						Thread.sleep(300);
					}
				}
				expected = app.rows();
				// SIGTERM: Litestream runs a final sync before it exits (its exit code may be 1 when
				// a checkpoint was due at shutdown, see LitestreamProcess#stop, so it is not asserted).
				litestream.stop();
				assertThat(litestream.isAlive()).as(litestream.log()).isFalse();
				assertThat(walIndexes(root)).as("Litestream restarted the WAL; log:%n%s", litestream.log())
					.isGreaterThan(1);
			}
			Path restored = this.dir.resolve("restored.db");
			S3ReplicaClient client = new S3ReplicaClient(s3, BUCKET, root, S3ReplicaOptions.defaults());
			RestoreResult result = new Restorer(client).restore(RestoreOptions.latest(restored));
			assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
			assertThat(TestDatabase.rows(restored)).hasSize(1500).isEqualTo(expected);
			assertThat(TestDatabase.integrityCheck(restored)).isEqualTo("ok");
		}
	}

	private static LitestreamConfig.S3Replica s3Replica(String root) {
		return new LitestreamConfig.S3Replica(BUCKET, root, server.endpoint().toString(), "us-east-1",
				S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY);
	}

	/** Distinct WAL indexes with at least one segment under {@code root}, across generations. */
	private static long walIndexes(String root) {
		return s3.listObjectsV2Paginator((b) -> b.bucket(BUCKET).prefix(root + "/generations/"))
			.contents()
			.stream()
			.map(S3Object::key)
			.filter((k) -> k.endsWith(".wal.lz4"))
			.map((k) -> k.substring(0, k.lastIndexOf('/') + 9))
			.distinct()
			.count();
	}

}
