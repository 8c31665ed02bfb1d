package io.github.litestreamspring.engine.replication;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One database, a file replica and an S3 replica: each has its own position and its own failures. An
 * S3 outage does not hold the file replica back; S3 catches up when it returns, from the shadow WAL or,
 * past the shadow WAL bound, from a new snapshot (reported in the status meanwhile).
 * <p>
 * Stops the S3Proxy shared by every test of the JVM; finally blocks always start it again.
 */
class MultipleReplicasTests {

	static final String BUCKET = "multi";

	@TempDir
	Path dir;

	@Test
	void fileReplicaKeepsShippingWhileS3IsDownAndS3CatchesUpAfterwards() throws Exception {
		S3ProxyServer server = S3ProxyServer.shared();
		server.createBucket(BUCKET);
		Path db = this.dir.resolve("app.db");
		String root = "dbs/" + UUID.randomUUID() + "/app.db";
		try (S3Client s3 = server.client(); TestDatabase app = new TestDatabase(db)) {
			ReplicaClient file = new FileReplicaClient(this.dir.resolve("replica"));
			ReplicaClient s3Client = s3Client(s3, root);
			Replicator replicator = replicator(db, file, s3Client);
			replicator.start();
			try {
				app.insertBatch(0, 20, 200);
				replicator.syncNow();
				server.stop();
				try {
					for (int batch = 1; batch <= 10; batch++) {
						app.insertBatch(batch, 20, 200);
						replicator.notifyChange();
						Thread.sleep(50);
					}
					assertThat(await(Duration.ofSeconds(5), () -> replica(replicator, "s3").lastError() != null
							&& isCurrent(replicator, "file"))).as("file current, s3 failing: %s", replicator.status())
						.isTrue();
					assertThat(replica(replicator, "s3").lastError()).contains("s3://" + BUCKET + "/" + root);
					assertThat(replica(replicator, "s3").position()).isNotEqualTo(replicator.status().position());
				}
				finally {
					server.start();
				}
				assertThat(await(Duration.ofSeconds(20), () -> isCurrent(replicator, "s3")))
					.as("s3 caught up: %s", replicator.status()).isTrue();
				replicator.syncNow();
			}
			finally {
				replicator.stop(Duration.ofSeconds(10));
				if (!server.isRunning()) {
					server.start();
				}
			}
			assertRestoresEqual(app, file, s3Client);
		}
	}

	@Test
	void shadowWalBoundDropsWhatALaggingReplicaNeedsAndItResumesFromANewSnapshot() throws Exception {
		S3ProxyServer server = S3ProxyServer.shared();
		server.createBucket(BUCKET);
		Path db = this.dir.resolve("app.db");
		String root = "dbs/" + UUID.randomUUID() + "/app.db";
		long bound = 128 * 1024;
		try (S3Client s3 = server.client(); TestDatabase app = new TestDatabase(db)) {
			ReplicaClient file = new FileReplicaClient(this.dir.resolve("replica"));
			ReplicaClient s3Client = s3Client(s3, root);
			Replicator replicator = replicator(db, file, s3Client);
			replicator.setShadowWalMaxBytes(bound);
			replicator.start();
			try {
				app.insertBatch(0, 20, 200);
				Pos before = replicator.syncNow();
				server.stop();
				try {
					// About 2 MB of WAL over many indexes (small checkpoint thresholds) while S3 is down.
					for (int batch = 1; batch <= 100; batch++) {
						app.insertBatch(batch, 20, 1000);
						replicator.notifyChange();
						Thread.sleep(5);
					}
					assertThat(await(Duration.ofSeconds(10), () -> replica(replicator, "s3").warning() != null))
						.as("lagging replica flagged: %s", replicator.status()).isTrue();
					assertThat(replica(replicator, "s3").warning()).contains("'s3'")
						.contains("shadow WAL bound")
						.contains("new snapshot");
					assertThat(replica(replicator, "s3").isCurrent(replicator.status().position())).isFalse();
					assertThat(await(Duration.ofSeconds(5), () -> isCurrent(replicator, "file"))).isTrue();
					Pos local = replicator.status().position();
					assertThat(local.index()).as("WAL restarts").isGreaterThan(before.index() + 1);
					// Enforced after every pass: what one pass added is gone by the next.
					assertThat(await(Duration.ofSeconds(5), () -> shadowWalBytesBelowCurrent(replicator, db) <= bound))
						.as("older shadow WAL on disk is within the bound").isTrue();
				}
				finally {
					server.start();
				}
				assertThat(await(Duration.ofSeconds(20),
						() -> isCurrent(replicator, "s3") && replica(replicator, "s3").warning() == null))
					.as("s3 resumed: %s", replicator.status()).isTrue();
				replicator.syncNow();
			}
			finally {
				replicator.stop(Duration.ofSeconds(10));
				if (!server.isRunning()) {
					server.start();
				}
			}
			String generation = s3Client.generations().get(0);
			assertThat(s3Client.snapshots(generation)).as("a new snapshot after the gap").hasSizeGreaterThan(1);
			assertRestoresEqual(app, file, s3Client);
		}
	}

	// ---- helpers -------------------------------------------------------------------------------------

	private static S3ReplicaClient s3Client(S3Client s3, String root) {
		return new S3ReplicaClient(s3, BUCKET, root, S3ReplicaOptions.defaults().withRetry(S3OutageTests.QUICK_RETRY));
	}

	private static Replicator replicator(Path db, ReplicaClient file, ReplicaClient s3) {
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1))
			.withCheckpointPageCounts(30, 120, 0);
		return new Replicator(options,
				List.of(new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(50)), file),
						new Replica(ReplicaOptions.defaults("s3").withSyncInterval(Duration.ofMillis(100)), s3)));
	}

	private void assertRestoresEqual(TestDatabase app, ReplicaClient... clients) throws Exception {
		List<String> expected = app.rows();
		for (ReplicaClient client : clients) {
			Path out = this.dir.resolve("restored-" + client.type() + ".db");
			new Restorer(client).restore(RestoreOptions.latest(out));
			assertThat(TestDatabase.rows(out)).as(client.describe()).isEqualTo(expected);
			assertThat(TestDatabase.integrityCheck(out)).isEqualTo("ok");
		}
	}

	private static long shadowWalBytesBelowCurrent(Replicator replicator, Path db) {
		Pos local = replicator.status().position();
		try {
			return shadowWalBytes(db, local.generation(), local.index());
		}
		catch (Exception ex) {
			// A file deleted while listing: measure again on the next poll.
			return Long.MAX_VALUE;
		}
	}

	/** Bytes of shadow WAL below the current index (the current one is always kept). */
	private static long shadowWalBytes(Path db, String generation, long currentIndex) throws Exception {
		Path dir = db.resolveSibling(".app.db-litestream").resolve("generations").resolve(generation).resolve("wal");
		long total = 0;
		try (Stream<Path> files = Files.list(dir)) {
			for (Path f : files.toList()) {
				String name = f.getFileName().toString();
				if (name.endsWith(".wal") && Long.parseLong(name.substring(0, 8), 16) < currentIndex) {
					total += Files.size(f);
				}
			}
		}
		return total;
	}

	private static ReplicationStatus.Replica replica(Replicator replicator, String name) {
		return replicator.status().replicas().stream().filter((r) -> r.name().equals(name)).findFirst().orElseThrow();
	}

	private static boolean isCurrent(Replicator replicator, String name) {
		ReplicationStatus status = replicator.status();
		return replica(replicator, name).lastError() == null
				&& status.position().equals(replica(replicator, name).position());
	}

	private static boolean await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
		long end = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < end) {
			if (condition.getAsBoolean()) {
				return true;
			}
			Thread.sleep(20);
		}
		return condition.getAsBoolean();
	}

}
