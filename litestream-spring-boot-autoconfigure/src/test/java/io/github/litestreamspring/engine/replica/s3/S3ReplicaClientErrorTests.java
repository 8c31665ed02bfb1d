package io.github.litestreamspring.engine.replica.s3;

import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.github.litestreamspring.engine.Pos;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** Permanent failures fail once and clearly; transient ones are retried within the policy. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class S3ReplicaClientErrorTests {

	static final String BUCKET = "errors";

	static final String GEN = "0123456789abcdef";

	final RecordingInterceptor attempts = new RecordingInterceptor();

	@BeforeAll
	static void startServer() {
		S3ProxyServer.shared().createBucket(BUCKET);
	}

	@AfterEach
	void restartIfStopped() {
		S3ProxyServer.shared(); // restarts a server a failed outage test left stopped
	}

	@Test
	void wrongSecretFailsOnceNamingBucketAndCause() {
		try (S3Client s3 = S3ProxyServer.shared().client((b) -> b
			.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY,
					"not-the-secret")))
			.overrideConfiguration((o) -> o.addExecutionInterceptor(this.attempts)))) {
			S3ReplicaClient client = new S3ReplicaClient(s3, BUCKET, "db", S3ReplicaOptions.defaults());
			long start = System.nanoTime();

			assertThatExceptionOfType(S3ReplicaException.class)
				.isThrownBy(() -> client.writeWalSegment(new Pos(GEN, 1, 0), new ByteArrayInputStream(new byte[10])))
				.withMessageContaining("access denied")
				.withMessageContaining("s3://" + BUCKET + "/db/generations/" + GEN)
				.withMessageContaining("403")
				.withMessageNotContaining("not-the-secret")
				.satisfies((ex) -> assertThat(ex.isRetryable()).isFalse())
				.satisfies((ex) -> assertThat(ex.bucket()).isEqualTo(BUCKET));
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
			assertThat(this.attempts.count("PutObject")).isEqualTo(1);
		}
	}

	@Test
	void unknownAccessKeyFailsOnceOnListing() {
		try (S3Client s3 = S3ProxyServer.shared().client((b) -> b
			.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("nobody", "x")))
			.overrideConfiguration((o) -> o.addExecutionInterceptor(this.attempts)))) {
			S3ReplicaClient client = new S3ReplicaClient(s3, BUCKET, "db", S3ReplicaOptions.defaults());

			assertThatExceptionOfType(S3ReplicaException.class).isThrownBy(client::generations)
				.withMessageContaining("access denied")
				.withMessageContaining("s3://" + BUCKET + "/db/generations/");
			assertThat(this.attempts.count("ListObjectsV2")).isEqualTo(1);
		}
	}

	@Test
	void missingBucketSaysSo() {
		try (S3Client s3 = S3ProxyServer.shared().client((b) -> b
			.overrideConfiguration((o) -> o.addExecutionInterceptor(this.attempts)))) {
			S3ReplicaClient client = new S3ReplicaClient(s3, "no-such-bucket", "db", S3ReplicaOptions.defaults());

			assertThatExceptionOfType(S3ReplicaException.class).isThrownBy(() -> client.snapshots(GEN))
				.withMessageStartingWith("bucket 'no-such-bucket' does not exist")
				.satisfies((ex) -> assertThat(ex.isRetryable()).isFalse());
			assertThat(this.attempts.count("ListObjectsV2")).isEqualTo(1);
		}
	}

	@Test
	void retriesThroughAnOutageAndSucceeds() throws Exception {
		S3ProxyServer server = S3ProxyServer.shared();
		// SDK retries off: only our policy decides, and its attempts are countable.
		try (S3Client s3 = server.client((b) -> b.overrideConfiguration(
				(o) -> o.retryStrategy(AwsRetryStrategy.doNotRetry()).addExecutionInterceptor(this.attempts)))) {
			S3ReplicaClient client = new S3ReplicaClient(s3, BUCKET, "outage/" + UUID.randomUUID(),
					S3ReplicaOptions.defaults().withRetry(new S3ReplicaOptions.RetryPolicy(50, Duration.ofMillis(50),
							Duration.ofMillis(300), Duration.ofSeconds(30))));
			client.writeSnapshot(GEN, 1, new ByteArrayInputStream(new byte[] { 1 }));
			server.stop();
			CompletableFuture<Void> restart = CompletableFuture.runAsync(() -> {
				sleep(1500);
				server.start();
			});

			client.writeWalSegment(new Pos(GEN, 1, 0), new ByteArrayInputStream(new byte[] { 2 }));

			restart.get(30, TimeUnit.SECONDS);
			assertThat(this.attempts.count("PutObject")).isGreaterThan(2);
			assertThat(client.walSegments(GEN)).hasSize(1);
			// The filesystem backend kept what was written before the outage.
			assertThat(client.snapshots(GEN)).hasSize(1);
		}
	}

	@Test
	void givesUpWhenTheOutageOutlastsThePolicy() {
		S3ProxyServer server = S3ProxyServer.shared();
		try (S3Client s3 = server.client((b) -> b.overrideConfiguration(
				(o) -> o.retryStrategy(AwsRetryStrategy.doNotRetry()).addExecutionInterceptor(this.attempts)))) {
			S3ReplicaClient client = new S3ReplicaClient(s3, BUCKET, "down", S3ReplicaOptions.defaults()
				.withRetry(new S3ReplicaOptions.RetryPolicy(4, Duration.ofMillis(10), Duration.ofMillis(50),
						Duration.ofSeconds(10))));
			server.stop();
			try {
				assertThatExceptionOfType(S3ReplicaException.class).isThrownBy(client::generations)
					.withMessageContaining("after 4 attempt(s)")
					.withMessageContaining("s3://" + BUCKET + "/down/generations/")
					.satisfies((ex) -> assertThat(ex.isRetryable()).isTrue());
				assertThat(this.attempts.count("ListObjectsV2")).isEqualTo(4);
			}
			finally {
				server.start();
			}
		}
	}

	@Test
	void anApplicationsClientWithSdkRetriesMakesOneAttemptPerRetryOfOurs() throws Exception {
		S3ProxyServer server = S3ProxyServer.shared();
		// The application's client keeps the SDK's standard retries (3 attempts a call); seen through
		// SingleAttemptS3Client it makes one, so our policy alone decides.
		try (S3Client s3 = server.client((b) -> b.overrideConfiguration(
				(o) -> o.retryStrategy(AwsRetryStrategy.standardRetryStrategy()).addExecutionInterceptor(this.attempts)))) {
			S3ReplicaClient client = new S3ReplicaClient(SingleAttemptS3Client.wrap(s3), BUCKET, "down-shared",
					S3ReplicaOptions.defaults()
						.withRetry(new S3ReplicaOptions.RetryPolicy(4, Duration.ofMillis(10), Duration.ofMillis(50),
								Duration.ofSeconds(10))));
			server.stop();
			try {
				assertThatExceptionOfType(S3ReplicaException.class).isThrownBy(client::generations)
					.withMessageContaining("after 4 attempt(s)");
				assertThat(this.attempts.count("ListObjectsV2")).as("HTTP attempts").isEqualTo(4);
			}
			finally {
				server.start();
			}
			// The store is back: the same client works again.
			assertThat(client.generations()).isEmpty();
		}
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
