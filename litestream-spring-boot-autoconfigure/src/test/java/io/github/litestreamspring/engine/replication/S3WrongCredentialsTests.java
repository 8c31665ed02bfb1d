package io.github.litestreamspring.engine.replication;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Misconfigured S3 replicas (wrong secret, unknown access key, missing bucket) against S3Proxy: the
 * replicator's status names the bucket and the cause within a couple of seconds, even with the default
 * retry policy (these failures are permanent, so they are not retried), and it keeps trying once per
 * sync interval rather than hammering the endpoint, logging the failure once rather than on every try.
 */
class S3WrongCredentialsTests {

	static final String BUCKET = "credentials";

	static final Duration SYNC_INTERVAL = Duration.ofMillis(250);

	/** How long requests are counted once the error is showing. */
	static final Duration OBSERVED = Duration.ofSeconds(2);

	@TempDir
	Path dir;

	@Test
	void wrongSecretIsReportedAsAccessDeniedNamingTheBucketWithoutARetryStorm() throws Exception {
		S3ProxyServer server = S3ProxyServer.shared();
		server.createBucket(BUCKET);
		String error = failingReplication(BUCKET, S3ProxyServer.ACCESS_KEY, "not-the-secret");
		assertThat(error).contains("s3://" + BUCKET + "/").containsIgnoringCase("access denied")
			.contains("SignatureDoesNotMatch")
			.doesNotContain("not-the-secret");
	}

	@Test
	void unknownAccessKeyIsReportedAsAccessDeniedNamingTheBucket() throws Exception {
		S3ProxyServer server = S3ProxyServer.shared();
		server.createBucket(BUCKET);
		String error = failingReplication(BUCKET, "no-such-key-id", S3ProxyServer.SECRET_KEY);
		assertThat(error).contains("s3://" + BUCKET + "/").containsIgnoringCase("access denied")
			.doesNotContain(S3ProxyServer.SECRET_KEY);
	}

	@Test
	void missingBucketIsReportedByName() throws Exception {
		S3ProxyServer.shared();
		String missing = "no-such-bucket-" + UUID.randomUUID().toString().substring(0, 8);
		String error = failingReplication(missing, S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY);
		assertThat(error).contains("bucket '" + missing + "' does not exist");
	}

	/**
	 * Replicates a small database through a client with the given credentials and bucket, asserts
	 * that the failure shows up in the status promptly, that requests stay at about one per sync
	 * interval, that it is logged once, and that stopping does not hang; returns the replica's last error.
	 */
	private String failingReplication(String bucket, String accessKey, String secret) throws Exception {
		CountingInterceptor requests = new CountingInterceptor();
		// Upload outcomes are logged by ReplicaShipping, under its own name.
		Logger shippingLogger = (Logger) LoggerFactory.getLogger(ReplicaShipping.class);
		ListAppender<ILoggingEvent> logged = new ListAppender<>();
		logged.start();
		shippingLogger.addAppender(logged);
		Path db = this.dir.resolve("app.db");
		DatabaseOptions options = DatabaseOptions.defaults(db).withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1));
		try (TestDatabase app = new TestDatabase(db);
				S3Client s3 = S3ProxyServer.shared().client((b) -> b
					.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secret)))
					.overrideConfiguration((o) -> o.addExecutionInterceptor(requests)))) {
			app.insertBatch(0, 10, 100);
			// Default retry policy on purpose: a permanent error must not wait for it to run out.
			S3ReplicaClient client = new S3ReplicaClient(s3, bucket, "dbs/app.db", S3ReplicaOptions.defaults());
			Replicator replicator = new Replicator(options,
					List.of(new Replica(ReplicaOptions.defaults("s3").withSyncInterval(SYNC_INTERVAL), client)));
			long started = System.nanoTime();
			replicator.start();
			try {
				assertThat(await(Duration.ofSeconds(5), () -> replicaError(replicator) != null))
					.as("the failure shows in the status").isTrue();
				long reportedMillis = (System.nanoTime() - started) / 1_000_000;
				assertThat(reportedMillis).as("ms until reported: %s", replicaError(replicator)).isLessThan(2000);

				// Keep the database changing, so that every pass finds the replica behind.
				int before = requests.count();
				long windowStart = System.nanoTime();
				for (int batch = 1; System.nanoTime() - windowStart < OBSERVED.toNanos(); batch++) {
					app.insertBatch(batch, 1, 100);
					replicator.notifyChange();
					Thread.sleep(20);
				}
				int sent = requests.count() - before;
				long intervals = OBSERVED.toMillis() / SYNC_INTERVAL.toMillis();
				assertThat(sent).as("requests in %s with a sync interval of %s", OBSERVED, SYNC_INTERVAL)
					.isBetween(2, (int) intervals + 3);
				assertThat(replicator.status().replicas().get(0).position().isNone()).isTrue();
				// The same failure on every pass is logged at ERROR once, not once per sync interval
				// (the message carries the moving local position, which must not defeat that).
				assertThat(logged.list.stream()
					.filter((e) -> e.getLevel() == Level.ERROR && e.getFormattedMessage().contains("cannot sync replica")))
					.hasSize(1);
				return replicaError(replicator);
			}
			finally {
				long stopping = System.nanoTime();
				replicator.stop(Duration.ofSeconds(10));
				shippingLogger.detachAppender(logged);
				assertThat(Duration.ofNanos(System.nanoTime() - stopping)).as("stop with a failing replica")
					.isLessThan(Duration.ofSeconds(3));
			}
		}
	}

	private static String replicaError(Replicator replicator) {
		return replicator.status().replicas().get(0).lastError();
	}

	/** Polls {@code condition} every 20 ms until it holds or {@code timeout} passes. */
	private static boolean await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			if (condition.getAsBoolean()) {
				return true;
			}
			Thread.sleep(20);
		}
		return condition.getAsBoolean();
	}

	/** Counts every HTTP attempt the SDK transmits, SDK-level retries included. */
	private static final class CountingInterceptor implements ExecutionInterceptor {

		private final AtomicInteger attempts = new AtomicInteger();

		@Override
		public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
			this.attempts.incrementAndGet();
		}

		int count() {
			return this.attempts.get();
		}

	}

}
