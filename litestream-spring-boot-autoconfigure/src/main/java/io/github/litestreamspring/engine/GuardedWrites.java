package io.github.litestreamspring.engine;

/**
 * A replica client whose writes are long enough to need the single-writer guard inside them, not only
 * before them: it asks the {@link WriteGuard} before every request it sends (each
 * attempt of a retried call, each part of a multipart upload, each batch of deletes) and bounds each
 * request by the guard's {@linkplain WriteGuard#deadlineNanos() deadline}, so that
 * a write in retries or a long upload cannot outlive the lease it started under.
 * {@code lease.FencedReplicaClient#setWriteGuard} hands its guard down to a store client that implements this.
 */
public interface GuardedWrites {

	/** Sets (or, with {@code null}, removes) the guard asked before every write request. */
	void setWriteGuard(WriteGuard guard);

}
