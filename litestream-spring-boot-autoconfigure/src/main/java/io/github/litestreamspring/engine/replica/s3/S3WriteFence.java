package io.github.litestreamspring.engine.replica.s3;

import java.io.IOException;
import java.time.Duration;

import io.github.litestreamspring.engine.WriteGuard;

import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;

/**
 * The single-writer guard of an S3 replica at the level of single requests: asked right before each
 * write request is sent (every attempt of {@link S3Retry}, every part), and turned into the request's
 * API call timeout, which bounds the request together with any retries of the SDK itself. So a write in
 * retries, or a multipart upload part by part, stops at the guard's deadline whatever the store does; the
 * caller then aborts a multipart upload. Requests about the lease object itself are never fenced.
 */
final class S3WriteFence {

	private volatile WriteGuard guard;

	void set(WriteGuard guard) {
		this.guard = guard;
	}

	/**
	 * Checks that a write request may start now.
	 * @return the request's override configuration bounding it by the guard's deadline, or {@code null}
	 * when writes are not guarded or not bounded in time
	 * @throws IOException naming the reason when no write may start
	 */
	AwsRequestOverrideConfiguration check(String operation, String location) throws IOException {
		WriteGuard g = this.guard;
		if (g == null) {
			return null;
		}
		g.checkWrite();
		long deadline = g.deadlineNanos();
		if (deadline == Long.MAX_VALUE) {
			return null;
		}
		long left = deadline - System.nanoTime();
		if (left < 1_000_000) {
			throw new IOException("not starting S3 " + operation + " of " + location
					+ ": the lease's write deadline has passed");
		}
		return AwsRequestOverrideConfiguration.builder().apiCallTimeout(Duration.ofNanos(left)).build();
	}

}
