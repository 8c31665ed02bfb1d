package io.github.litestreamspring.engine.replica.s3;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Runs one S3 call with exponential backoff and full jitter on transient failures (throttling, 5xx,
 * network errors), and turns permanent failures into a single, clear {@link S3ReplicaException}
 * without retrying: a wrong credential must not become a retry storm.
 * <p>
 * This sits above whatever retry strategy the given {@code S3Client} has: clients we build ourselves
 * disable the SDK's retries so that this policy alone decides.
 */
final class S3Retry {

	private static final Logger logger = LoggerFactory.getLogger(S3Retry.class);

	private static final Set<String> THROTTLING_CODES = Set.of("SlowDown", "Throttling", "ThrottlingException",
			"RequestThrottled", "TooManyRequests", "RequestTimeout", "InternalError", "ServiceUnavailable");

	private static final Set<String> CREDENTIAL_CODES = Set.of("InvalidAccessKeyId", "SignatureDoesNotMatch",
			"InvalidToken", "ExpiredToken", "TokenRefreshRequired", "InvalidSecurity");

	private final S3ReplicaOptions.RetryPolicy policy;

	private final String bucket;

	S3Retry(S3ReplicaOptions.RetryPolicy policy, String bucket) {
		this.policy = policy;
		this.bucket = bucket;
	}

	/** One S3 call. */
	@FunctionalInterface
	interface Call<T> {

		T run() throws IOException;

	}

	/**
	 * Runs {@code call}, retrying transient failures within the policy.
	 * @param operation S3 operation name for messages, e.g. {@code PutObject}
	 * @param key object key or prefix for messages
	 * @throws FileNotFoundException when the object does not exist
	 * @throws S3ReplicaException on a permanent failure or when retries run out
	 */
	<T> T call(String operation, String key, Call<T> call) throws IOException {
		long start = System.nanoTime();
		long maxTotalNanos = this.policy.maxTotalTime().toNanos();
		for (int attempt = 1;; attempt++) {
			try {
				return call.run();
			}
			catch (RuntimeException ex) {
				if (!isRetryable(ex)) {
					throw permanent(operation, key, ex);
				}
				long delay = delayNanos(attempt);
				long elapsed = System.nanoTime() - start;
				if (attempt >= this.policy.maxAttempts() || elapsed + delay > maxTotalNanos) {
					throw new S3ReplicaException("S3 " + operation + " of " + location(key) + " failed after "
							+ attempt + " attempt(s) in " + (elapsed / 1_000_000) + " ms: " + describe(ex),
							this.bucket, key, true, ex);
				}
				logger.debug("S3 {} of {} failed (attempt {}), retrying in {} ms: {}", operation, location(key),
						attempt, delay / 1_000_000, describe(ex));
				sleep(delay);
			}
		}
	}

	/** Full jitter: uniform in [0, min(maxDelay, baseDelay * 2^(attempt-1))]. */
	private long delayNanos(int attempt) {
		long base = this.policy.baseDelay().toNanos();
		long max = this.policy.maxDelay().toNanos();
		long cap = (long) Math.min((double) max, base * Math.pow(2, attempt - 1));
		return (cap <= 0) ? 0 : ThreadLocalRandom.current().nextLong(cap + 1);
	}

	private static void sleep(long nanos) throws InterruptedIOException {
		try {
			Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("interrupted while waiting to retry an S3 call");
		}
	}

	static boolean isRetryable(RuntimeException ex) {
		if (ex instanceof AwsServiceException ase) {
			int status = ase.statusCode();
			String code = errorCode(ase);
			// 501 Not Implemented and 505 are answers about the request, not the server's health.
			boolean serverError = status >= 500 && status != 501 && status != 505;
			if (status == 429 || serverError || THROTTLING_CODES.contains(code)) {
				return true;
			}
			return ase.isThrottlingException();
		}
		if (ex instanceof SdkClientException sce) {
			// Connection refused/reset, timeouts and other I/O trouble; but a client that cannot
			// find credentials or a region will not find them by trying again.
			String message = String.valueOf(sce.getMessage());
			return !(message.contains("Unable to load credentials") || message.contains("Unable to load region"));
		}
		return ex instanceof UncheckedIOException;
	}

	private IOException permanent(String operation, String key, RuntimeException ex) {
		if (ex instanceof NoSuchKeyException || (ex instanceof AwsServiceException ase && ase.statusCode() == 404
				&& "NoSuchKey".equals(errorCode(ase)))) {
			FileNotFoundException fnf = new FileNotFoundException("replica object not found: " + location(key));
			fnf.initCause(ex);
			return fnf;
		}
		if (!(ex instanceof AwsServiceException ase)) {
			return new S3ReplicaException("S3 " + operation + " of " + location(key) + " failed: " + describe(ex),
					this.bucket, key, false, ex);
		}
		String code = errorCode(ase);
		String cause = describe(ase);
		String message;
		if (ex instanceof NoSuchBucketException || "NoSuchBucket".equals(code)) {
			message = "bucket '" + this.bucket + "' does not exist (S3 " + operation + " of " + location(key) + "): "
					+ cause;
		}
		else if (CREDENTIAL_CODES.contains(code)) {
			message = "access denied: S3 rejected the credentials for " + operation + " of " + location(key) + " ("
					+ cause + "); check the access key id and secret access key";
		}
		else if (ase.statusCode() == 403 || "AccessDenied".equals(code)) {
			message = "access denied: S3 " + operation + " of " + location(key) + " was refused (" + cause
					+ "); check the credentials and the bucket policy";
		}
		else {
			message = "S3 " + operation + " of " + location(key) + " failed: " + cause;
		}
		return new S3ReplicaException(message, this.bucket, key, false, ex);
	}

	private String location(String key) {
		return "s3://" + this.bucket + "/" + key;
	}

	private static String errorCode(AwsServiceException ex) {
		return (ex.awsErrorDetails() != null) ? ex.awsErrorDetails().errorCode() : null;
	}

	/** Status, error code and the service's message; exception messages of the SDK carry no secrets. */
	private static String describe(RuntimeException ex) {
		if (ex instanceof AwsServiceException ase) {
			String code = errorCode(ase);
			String msg = (ase.awsErrorDetails() != null) ? ase.awsErrorDetails().errorMessage() : null;
			return ase.statusCode() + ((code != null) ? " " + code : "") + ((msg != null) ? ": " + msg : "");
		}
		Throwable root = ex;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return ex.getClass().getSimpleName() + ": " + ex.getMessage()
				+ ((root != ex) ? " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")" : "");
	}

}
