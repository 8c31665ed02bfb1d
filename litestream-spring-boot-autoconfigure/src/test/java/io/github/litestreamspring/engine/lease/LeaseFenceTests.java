package io.github.litestreamspring.engine.lease;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.LeaseObject;
import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.FaultProxy;
import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;

import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import io.github.litestreamspring.engine.LitestreamException;

/**
 * The lease fences writes in time, on S3 (S3Proxy behind a {@link FaultProxy}): once the lease could
 * be another instance's, not one more write request reaches the store, whether the write is a WAL
 * upload in retries or a multipart snapshot upload part by part (which is then aborted); a store that
 * ignores conditional writes is refused the lease.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LeaseFenceTests {

	private static final String BUCKET = "fence";

	private static S3ProxyServer server;

	private static FaultProxy proxy;

	@TempDir
	Path dir;

	private final String root = "fence/" + UUID.randomUUID() + "/app.db";

	@BeforeAll
	static void startProxy() throws Exception {
		server = S3ProxyServer.shared();
		server.createBucket(BUCKET);
		proxy = new FaultProxy(server.endpoint());
	}

	@AfterAll
	static void closeProxy() {
		if (proxy != null) {
			proxy.close();
		}
	}

	@BeforeEach
	void healProxy() {
		proxy.heal();
	}

	@Test
	void aWalUploadInRetriesStopsBeforeTheLeaseCouldBeTakenOver() throws Exception {
		Duration ttl = Duration.ofSeconds(2);
		Path db = this.dir.resolve("app.db");
		try (S3Client s3 = proxiedClient(); TestDatabase app = new TestDatabase(db);
				Replicator replicator = replicator(db, s3, ttl)) {
			replicator.start();
			app.insertBatch(0, 20, 100);
			replicator.syncNow();

			// The store stops answering the lease and the WAL: renewals fail, the upload retries.
			long lost = System.nanoTime();
			proxy.refuse((line) -> line.contains("/generations/") || line.contains("lease.json"));
			app.insertBatch(1, 20, 100);
			replicator.notifyChange();
			assertThat(await(Duration.ofSeconds(10), () -> String.valueOf(error(replicator)).contains("expired")))
				.as("the replica reports the expired lease: %s", error(replicator)).isTrue();
			Thread.sleep(2 * ttl.toMillis());

			// The last renewal started before the failures began, so by then the lease may be taken over.
			long takeover = lost + ttl.toNanos();
			assertThat(proxy.writeRequests()).filteredOn((w) -> w.requestLine().contains("/generations/"))
				.as("WAL upload attempts").isNotEmpty()
				.allSatisfy((w) -> assertThat(w.arrivedNanos()).as("arrival of %s", w.requestLine())
					.isLessThan(takeover));
			assertThat(error(replicator)).contains(s3Location() + "/lease.json").contains("(ours, owner ");

			// Back: the renewal finds its own version unchanged, and writes resume.
			proxy.heal();
			assertThat(await(Duration.ofSeconds(10), () -> syncs(replicator))).as("syncs again: %s", error(replicator))
				.isTrue();
			Path restored = this.dir.resolve("restored.db");
			new Restorer(inspector()).restore(RestoreOptions.latest(restored));
			assertThat(TestDatabase.rows(restored)).isEqualTo(app.rows());
		}
	}

	@Test
	void aMultipartSnapshotUploadIsAbortedBeforeTheLeaseCouldExpire() throws Exception {
		multipartUploadStopsAtTheFence(() -> {
			proxy.refuse((line) -> line.contains("lease.json"));
			return System.nanoTime();
		}, "expired");
	}

	@Test
	void aMultipartSnapshotUploadIsAbortedOnceAnotherInstanceTookTheLease() throws Exception {
		multipartUploadStopsAtTheFence(() -> {
			S3ReplicaClient inspector = inspector();
			LeaseObject current = inspector.readLease().orElseThrow();
			Instant now = Instant.now();
			long takenAt = System.nanoTime();
			assertThat(inspector.replaceLease(current.etag(), new LeaseContent("usurper000000000", "other-host", 7, now,
					now, now.plusSeconds(3600), 3_600_000, false).toBytes())).isNotNull();
			return takenAt;
		}, "lost to owner usurper000000000");
	}

	@Test
	void s3ProxyHonoursConditionalWritesAndTheProbeLeavesNothingBehind() throws Exception {
		S3ReplicaClient client = inspector();
		assertThat(client.honoursConditionalWrites()).isTrue();
		try (S3Client s3 = server.client()) {
			assertThat(s3.listObjectsV2((r) -> r.bucket(BUCKET).prefix(this.root)).contents()).isEmpty();
		}
	}

	@Test
	void aStoreThatIgnoresConditionalWritesIsRefusedTheLeaseNamingTheProperty() throws Exception {
		proxy.ignoreConditionalWrites(true);
		Path db = this.dir.resolve("app.db");
		try (S3Client s3 = proxiedClient(); TestDatabase app = new TestDatabase(db);
				Replicator replicator = replicator(db, s3, Duration.ofSeconds(2))) {
			app.insertBatch(0, 10, 100);
			assertThatExceptionOfType(LitestreamException.class).isThrownBy(replicator::start)
				.withMessageContaining(s3Location())
				.withMessageContaining("does not honour conditional writes")
				.withMessageContaining("litestream.lease.enabled=false");
			assertThat(replicator.isRunning()).isFalse();
			assertThat(inspector().generations()).isEmpty();
		}
	}

	@FunctionalInterface
	private interface LeaseLoss {

		/** Makes the lease stop being ours; returns the {@link System#nanoTime()} from which it may not be. */
		long loseIt() throws Exception;

	}

	private void multipartUploadStopsAtTheFence(LeaseLoss loss, String reason) throws Exception {
		Duration ttl = Duration.ofSeconds(2);
		Path db = this.dir.resolve("app.db");
		// 30 MB that LZ4 cannot shrink: a snapshot of six 5 MiB parts, each slowed to 700 ms.
		try (Connection c = TestDatabase.open(db); Statement st = c.createStatement()) {
			st.execute("CREATE TABLE blobs (b BLOB)");
			for (int i = 0; i < 30; i++) {
				st.execute("INSERT INTO blobs VALUES (randomblob(1000000))");
			}
		}
		proxy.latency(Duration.ofMillis(700), (line) -> line.contains("partNumber="));
		try (S3Client s3 = proxiedClient(); Replicator replicator = replicator(db, s3, ttl)) {
			replicator.start();
			assertThat(await(Duration.ofSeconds(30), () -> proxy.writeRequests().stream()
				.anyMatch((w) -> w.forwarded() && w.requestLine().contains("partNumber=1&"))))
				.as("the first part went out").isTrue();
			long fence = loss.loseIt() + ttl.toNanos();
			assertThat(await(Duration.ofSeconds(10), () -> String.valueOf(error(replicator)).contains(reason)))
				.as("the replica reports the lease (%s)", error(replicator)).isTrue();
			Thread.sleep(2 * ttl.toMillis());

			List<FaultProxy.WriteRequest> writes = proxy.writeRequests().stream()
				.filter((w) -> w.forwarded() && w.requestLine().contains("/generations/"))
				.toList();
			assertThat(writes).filteredOn((w) -> !w.requestLine().startsWith("DELETE "))
				.as("parts and objects written").isNotEmpty()
				.allSatisfy((w) -> assertThat(w.forwardedNanos()).as("%s", w.requestLine()).isLessThan(fence));
			assertThat(writes).as("the multipart upload was aborted")
				.anySatisfy((w) -> assertThat(w.requestLine()).startsWith("DELETE ").contains("uploadId="));
			S3ReplicaClient inspector = inspector();
			for (String generation : inspector.generations()) {
				assertThat(inspector.snapshots(generation)).as("snapshots of %s", generation).isEmpty();
			}
			try (S3Client direct = server.client()) {
				assertThat(direct.listMultipartUploads((r) -> r.bucket(BUCKET).prefix(this.root)).uploads())
					.as("multipart uploads left open").isEmpty();
			}
			// Let the stop release the lease at once rather than retry against a refusing store.
			proxy.heal();
		}
	}

	private static boolean syncs(Replicator replicator) {
		try {
			replicator.syncNow();
			return true;
		}
		catch (LitestreamException ex) {
			return false;
		}
	}

	private Replicator replicator(Path db, S3Client s3, Duration ttl) {
		S3ReplicaOptions options = S3ReplicaOptions.defaults()
			.withPartSize(S3ReplicaOptions.MIN_PART_SIZE)
			// Retries that would go on well past the lease: only the fence may stop them.
			.withRetry(new S3ReplicaOptions.RetryPolicy(1000, Duration.ofMillis(20), Duration.ofMillis(100),
					Duration.ofSeconds(60)));
		Replica replica = new Replica(ReplicaOptions.defaults("s3").withSyncInterval(Duration.ofMillis(50)),
				new S3ReplicaClient(s3, BUCKET, this.root, options));
		Replicator replicator = new Replicator(
				DatabaseOptions.defaults(db).withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1)), List.of(replica));
		replicator.setLeaseOptions(LeaseOptions.enabled(ttl, LeaseOptions.OnConflict.WAIT));
		return replicator;
	}

	private static S3Client proxiedClient() {
		// No SDK retries: the engine's own policy (and the fence inside it) decides.
		return server.client((b) -> b.endpointOverride(proxy.endpoint())
			.overrideConfiguration((o) -> o.retryStrategy((r) -> r.maxAttempts(1))));
	}

	private S3ReplicaClient inspector() {
		return new S3ReplicaClient(server.client(), BUCKET, this.root, S3ReplicaOptions.defaults());
	}

	private String s3Location() {
		return "s3://" + BUCKET + "/" + this.root;
	}

	private static String error(Replicator replicator) {
		return replicator.status().replicas().get(0).lastError();
	}

	private static boolean await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (!condition.getAsBoolean()) {
			if (System.nanoTime() > deadline) {
				return false;
			}
			Thread.sleep(20);
		}
		return true;
	}

}
