package io.github.litestreamspring.engine.lease;

import io.github.litestreamspring.engine.LitestreamException;

/**
 * The store holding a replica's lease could not be reached while an instance started: it cannot know
 * whether another instance writes, so it starts with writes refused and takes the lease later
 * ({@link Replicator#acquireLeases}). Not a failure of the start: an S3 outage must not keep an
 * application from serving reads, nor get its pods restarted.
 */
public final class LeaseStoreUnreachableException extends LitestreamException {

	public LeaseStoreUnreachableException(String message) {
		super(message);
	}

}
