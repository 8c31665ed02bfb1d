package io.github.litestreamspring.engine.replica.s3;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** Which failures are retried, how often and for how long. */
class S3RetryTests {

	final S3Retry retry = new S3Retry(
			new S3ReplicaOptions.RetryPolicy(5, Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofSeconds(5)), "bkt");

	@Test
	void retriesThrottlingServerErrorsAndNetworkFailuresThenSucceeds() throws IOException {
		AtomicInteger calls = new AtomicInteger();
		RuntimeException[] failures = { s3(503, "SlowDown"), s3(429, "TooManyRequests"), s3(500, "InternalError"),
				SdkClientException.create("Unable to execute HTTP request: Connection refused") };

		String result = this.retry.call("PutObject", "k", () -> {
			int n = calls.getAndIncrement();
			if (n < failures.length) {
				throw failures[n];
			}
			return "ok";
		});

		assertThat(result).isEqualTo("ok");
		assertThat(calls).hasValue(5);
	}

	@Test
	void doesNotRetryPermanentErrors() {
		for (S3Exception permanent : new S3Exception[] { s3(403, "AccessDenied"), s3(403, "InvalidAccessKeyId"),
				s3(403, "SignatureDoesNotMatch"), s3(404, "NoSuchBucket"), s3(400, "InvalidRequest"),
				s3(501, "NotImplemented") }) {
			AtomicInteger calls = new AtomicInteger();
			assertThatExceptionOfType(S3ReplicaException.class).isThrownBy(() -> this.retry.call("GetObject", "a/b", () -> {
				calls.incrementAndGet();
				throw permanent;
			}))
				.withMessageContaining("s3://bkt/a/b")
				.satisfies((ex) -> assertThat(ex.isRetryable()).isFalse())
				.satisfies((ex) -> assertThat(ex.key()).isEqualTo("a/b"));
			assertThat(calls).as(permanent.awsErrorDetails().errorCode()).hasValue(1);
		}
	}

	@Test
	void explainsCredentialAndBucketErrors() {
		assertThatExceptionOfType(S3ReplicaException.class)
			.isThrownBy(() -> this.retry.call("PutObject", "k", () -> {
				throw s3(403, "SignatureDoesNotMatch");
			}))
			.withMessageStartingWith("access denied")
			.withMessageContaining("check the access key id and secret access key");
		assertThatExceptionOfType(S3ReplicaException.class)
			.isThrownBy(() -> this.retry.call("PutObject", "k", () -> {
				throw s3(404, "NoSuchBucket");
			}))
			.withMessageStartingWith("bucket 'bkt' does not exist");
	}

	@Test
	void turnsNoSuchKeyIntoFileNotFound() {
		assertThatExceptionOfType(FileNotFoundException.class).isThrownBy(() -> this.retry.call("GetObject", "a/b", () -> {
			throw NoSuchKeyException.builder().statusCode(404)
				.awsErrorDetails(AwsErrorDetails.builder().errorCode("NoSuchKey").build())
				.build();
		})).withMessageContaining("s3://bkt/a/b");
	}

	@Test
	void stopsAfterMaxAttempts() {
		AtomicInteger calls = new AtomicInteger();

		assertThatExceptionOfType(S3ReplicaException.class).isThrownBy(() -> this.retry.call("ListObjectsV2", "p/", () -> {
			calls.incrementAndGet();
			throw s3(503, "SlowDown");
		})).withMessageContaining("after 5 attempt(s)").satisfies((ex) -> assertThat(ex.isRetryable()).isTrue());
		assertThat(calls).hasValue(5);
	}

	@Test
	void stopsWhenTheNextDelayWouldExceedTheTotalTime() {
		S3Retry bounded = new S3Retry(new S3ReplicaOptions.RetryPolicy(1000, Duration.ofMillis(100),
				Duration.ofMillis(100), Duration.ofMillis(300)), "bkt");
		AtomicInteger calls = new AtomicInteger();
		long start = System.nanoTime();

		assertThatExceptionOfType(S3ReplicaException.class).isThrownBy(() -> bounded.call("PutObject", "k", () -> {
			calls.incrementAndGet();
			throw s3(500, "InternalError");
		}));

		assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
		assertThat(calls.get()).isBetween(2, 1000);
	}

	@Test
	void doesNotRetryMissingCredentials() {
		AtomicInteger calls = new AtomicInteger();

		assertThatExceptionOfType(S3ReplicaException.class).isThrownBy(() -> this.retry.call("PutObject", "k", () -> {
			calls.incrementAndGet();
			throw SdkClientException.create("Unable to load credentials from any of the providers in the chain");
		}));
		assertThat(calls).hasValue(1);
	}

	private static S3Exception s3(int status, String code) {
		return (S3Exception) S3Exception.builder().statusCode(status)
			.awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(code + " message").build())
			.build();
	}

}
