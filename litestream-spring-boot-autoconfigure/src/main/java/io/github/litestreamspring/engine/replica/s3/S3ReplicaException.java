package io.github.litestreamspring.engine.replica.s3;

import java.io.IOException;

/**
 * An S3 call failed for good: a permanent error (access denied, missing bucket, ...) or a transient
 * one that outlived the retry policy. The message names the bucket, the key or prefix and the cause,
 * and never contains a credential.
 */
public class S3ReplicaException extends IOException {

	private static final long serialVersionUID = 1L;

	private final String bucket;

	private final String key;

	private final boolean retryable;

	public S3ReplicaException(String message, String bucket, String key, boolean retryable, Throwable cause) {
		super(message, cause);
		this.bucket = bucket;
		this.key = key;
		this.retryable = retryable;
	}

	public String bucket() {
		return this.bucket;
	}

	/** The object key or listing prefix the call was about. */
	public String key() {
		return this.key;
	}

	/** Whether the cause was transient (retries ran out) rather than permanent. */
	public boolean isRetryable() {
		return this.retryable;
	}

}
