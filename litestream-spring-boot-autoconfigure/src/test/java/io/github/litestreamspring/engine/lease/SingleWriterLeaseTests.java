package io.github.litestreamspring.engine.lease;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;

import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import io.github.litestreamspring.engine.LitestreamException;

/**
 * Two instances on one replica path: only the lease holder writes, the other waits (or refuses to
 * start), takes over after a graceful stop or once the holder stops renewing, and the replica stays
 * restorable throughout.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SingleWriterLeaseTests {

	private static final Duration TTL = Duration.ofSeconds(1);

	@TempDir
	Path dir;

	@Test
	void secondInstanceOnAFileReplicaWaitsWritesNothingAndTakesOverAfterAGracefulStop() throws Exception {
		Path replicaDir = this.dir.resolve("replica");
		secondInstanceWaitsAndTakesOver(() -> new FileReplicaClient(replicaDir));
	}

	@Test
	void secondInstanceOnAnS3ReplicaWaitsWritesNothingAndTakesOverAfterAGracefulStop() throws Exception {
		S3ProxyServer server = S3ProxyServer.shared();
		server.createBucket("lease");
		S3Client s3 = server.client();
		try {
			String root = "lease/" + UUID.randomUUID() + "/app.db";
			secondInstanceWaitsAndTakesOver(() -> new S3ReplicaClient(s3, "lease", root, S3ReplicaOptions.defaults()));
		}
		finally {
			s3.close();
		}
	}

	private void secondInstanceWaitsAndTakesOver(Supplier<ReplicaClient> clients) throws Exception {
		Path dbA = this.dir.resolve("a.db");
		Path dbB = this.dir.resolve("b.db");
		ReplicaClient inspector = clients.get();
		try (TestDatabase appA = new TestDatabase(dbA); TestDatabase appB = new TestDatabase(dbB)) {
			Replicator a = replicator(dbA, clients.get(), LeaseOptions.OnConflict.WAIT);
			Replicator b = replicator(dbB, clients.get(), LeaseOptions.OnConflict.WAIT);
			try {
				a.start();
				appA.insertBatch(0, 20, 100);
				a.syncNow();
				String generationA = a.status().generation();
				List<String> before = objects(inspector);

				b.start();
				appB.insertBatch(1, 30, 100);
				// Several renewals of A and polls of B: B must not write a single object meanwhile.
				Thread.sleep(3 * TTL.toMillis());
				assertThat(objects(inspector)).isEqualTo(before);
				String reason = b.status().replicas().get(0).lastError();
				assertThat(reason).contains("waiting for the lease on " + inspector.describe() + "/lease.json")
					.contains("held by owner").contains("pid " + ProcessHandle.current().pid());
				assertThatExceptionOfType(LitestreamException.class).isThrownBy(b::syncNow)
					.withMessageContaining("waiting for the lease");
				assertThat(a.status().replicas().get(0).lastError()).isNull();

				a.stop();
				List<String> expectedB = appB.rows();
				// B takes the released lease at its next poll (a third of the TTL) and ships a new generation.
				awaitTrue(() -> b.status().replicas().get(0).lastError() == null
						&& b.status().position().equals(b.status().replicas().get(0).position()), Duration.ofSeconds(10));
				String generationB = b.status().generation();
				assertThat(generationB).isNotEqualTo(generationA);
				assertThat(inspector.generations()).containsExactlyInAnyOrder(generationA, generationB);

				b.syncNow();
				Path restored = this.dir.resolve("restored.db");
				RestoreResult result = new Restorer(inspector).restore(RestoreOptions.latest(restored));
				assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
				assertThat(TestDatabase.rows(restored)).isEqualTo(expectedB);
				assertThat(TestDatabase.integrityCheck(restored)).isEqualTo("ok");
			}
			finally {
				a.stop();
				b.stop();
				inspector.close();
			}
		}
	}

	@Test
	void takesOverALeaseWhoseHolderStoppedRenewingAfterOneTtlNotBefore() throws Exception {
		Path replicaDir = this.dir.resolve("replica");
		FileReplicaClient inspector = new FileReplicaClient(replicaDir);
		// A crashed holder: a live-looking lease that nobody renews any more.
		Instant now = Instant.now();
		inspector.createLease(new LeaseContent("crashed0holder00", "old-host", 1, now, now, now.plus(TTL),
				TTL.toMillis(), false).toBytes());
		Path db = this.dir.resolve("app.db");
		try (TestDatabase app = new TestDatabase(db)) {
			Replicator replicator = replicator(db, new FileReplicaClient(replicaDir), LeaseOptions.OnConflict.WAIT);
			try {
				long started = System.nanoTime();
				replicator.start();
				app.insertBatch(0, 10, 100);
				assertThat(replicator.status().replicas().get(0).lastError()).isNull();
				awaitTrue(() -> replicator.status().replicas().get(0).lastError() != null, Duration.ofSeconds(5));
				assertThat(replicator.status().replicas().get(0).lastError()).contains("crashed0holder00")
					.contains("old-host");

				awaitTrue(() -> !inspector.generations().isEmpty(), Duration.ofSeconds(10));
				assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(TTL);
				assertThat(new String(inspector.readLease().orElseThrow().content(), StandardCharsets.UTF_8))
					.doesNotContain("crashed0holder00");
			}
			finally {
				replicator.stop();
			}
		}
	}

	@Test
	void failPolicyRefusesToStartAndNamesTheHolder() throws Exception {
		Path replicaDir = this.dir.resolve("replica");
		Path dbA = this.dir.resolve("a.db");
		Path dbB = this.dir.resolve("b.db");
		try (TestDatabase appA = new TestDatabase(dbA); TestDatabase appB = new TestDatabase(dbB)) {
			Replicator a = replicator(dbA, new FileReplicaClient(replicaDir), LeaseOptions.OnConflict.FAIL);
			Replicator b = replicator(dbB, new FileReplicaClient(replicaDir), LeaseOptions.OnConflict.FAIL);
			try {
				a.start();
				assertThatExceptionOfType(LitestreamException.class).isThrownBy(b::start)
					.withMessageContaining("is held by another instance")
					.withMessageContaining("file://" + replicaDir.toAbsolutePath())
					.withMessageContaining("held by owner")
					.withMessageContaining("host " + LeaseContent.HOST);
				assertThat(b.isRunning()).isFalse();
				a.stop();
				// Released: the second instance now starts at once.
				b.start();
				assertThat(b.isRunning()).isTrue();
			}
			finally {
				a.stop();
				b.stop();
			}
		}
	}

	@Test
	void holderWhoseLeaseIsTakenStopsWritingAndSaysToWhom() throws Exception {
		Path replicaDir = this.dir.resolve("replica");
		FileReplicaClient inspector = new FileReplicaClient(replicaDir);
		Path db = this.dir.resolve("app.db");
		try (TestDatabase app = new TestDatabase(db)) {
			Replicator replicator = replicator(db, new FileReplicaClient(replicaDir), LeaseOptions.OnConflict.WAIT);
			try {
				replicator.start();
				app.insertBatch(0, 10, 100);
				replicator.syncNow();
				// An operator (or a buggy instance) overwrites the lease behind our back.
				var current = inspector.readLease().orElseThrow();
				Instant now = Instant.now();
				assertThat(inspector.replaceLease(current.etag(), new LeaseContent("usurper000000000", "other-host", 7,
						now, now, now.plusSeconds(3600), 3_600_000, false).toBytes())).isNotNull();

				awaitTrue(() -> String.valueOf(replicator.status().replicas().get(0).lastError()).contains("lost to"),
						Duration.ofSeconds(5));
				List<String> before = objects(inspector);
				app.insertBatch(1, 10, 100);
				assertThatExceptionOfType(LitestreamException.class).isThrownBy(replicator::syncNow)
					.withMessageContaining("lost to owner usurper000000000");
				assertThat(objects(inspector)).isEqualTo(before);
			}
			finally {
				replicator.stop();
			}
			// The usurper's lease is not ours to release.
			assertThat(new String(inspector.readLease().orElseThrow().content(), StandardCharsets.UTF_8))
				.contains("usurper000000000").contains("\"released\":false");
		}
	}

	@Test
	void gracefulStopReleasesTheLease() throws Exception {
		Path replicaDir = this.dir.resolve("replica");
		FileReplicaClient inspector = new FileReplicaClient(replicaDir);
		Path db = this.dir.resolve("app.db");
		try (TestDatabase app = new TestDatabase(db)) {
			Replicator replicator = replicator(db, new FileReplicaClient(replicaDir), LeaseOptions.OnConflict.WAIT);
			replicator.start();
			app.insertBatch(0, 10, 100);
			replicator.syncNow();
			String held = new String(inspector.readLease().orElseThrow().content(), StandardCharsets.UTF_8);
			replicator.stop();

			String released = new String(inspector.readLease().orElseThrow().content(), StandardCharsets.UTF_8);
			assertThat(held).contains("\"released\":false").contains("\"pid\":" + ProcessHandle.current().pid());
			assertThat(released).contains("\"released\":true");
			assertThat(LeaseContent.parse(released.getBytes(StandardCharsets.UTF_8)).owner())
				.isEqualTo(LeaseContent.parse(held.getBytes(StandardCharsets.UTF_8)).owner());
		}
	}

	@Test
	void leaseContentRoundTripsAndAForeignDocumentIsNotMistakenForOne() {
		Instant now = Instant.parse("2026-01-02T03:04:05.678Z");
		LeaseContent content = new LeaseContent("abc\"def", "host \\ 1", 42, now, now.plusSeconds(1),
				now.plusSeconds(31), 30_000, false);

		assertThat(LeaseContent.parse(content.toBytes())).isEqualTo(content);
		assertThat(LeaseContent.parse("not json".getBytes(StandardCharsets.UTF_8))).isNull();
		assertThat(LeaseContent.parse("{\"owner\":\"x\"}".getBytes(StandardCharsets.UTF_8))).isNull();
	}

	private static Replicator replicator(Path db, ReplicaClient client, LeaseOptions.OnConflict onConflict) {
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1));
		Replica replica = new Replica(ReplicaOptions.defaults("r").withSyncInterval(Duration.ofMillis(50)), client);
		Replicator replicator = new Replicator(options, List.of(replica));
		replicator.setLeaseOptions(LeaseOptions.enabled(TTL, onConflict));
		return replicator;
	}

	/** Every Litestream object in the replica, with its size. */
	private static List<String> objects(ReplicaClient client) throws IOException {
		List<String> result = new ArrayList<>();
		for (String generation : client.generations()) {
			for (SnapshotInfo s : client.snapshots(generation)) {
				result.add(generation + "/snapshot/" + s.index() + ":" + s.size());
			}
			for (WalSegmentInfo w : client.walSegments(generation)) {
				result.add(generation + "/wal/" + w.index() + "/" + w.offset() + ":" + w.size());
			}
		}
		return result;
	}

	@FunctionalInterface
	private interface Condition {

		boolean test() throws Exception;

	}

	private static void awaitTrue(Condition condition, Duration timeout) throws Exception {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (!condition.test()) {
			if (System.nanoTime() > deadline) {
				throw new AssertionError("condition not met within " + timeout);
			}
			Thread.sleep(20);
		}
	}

}
