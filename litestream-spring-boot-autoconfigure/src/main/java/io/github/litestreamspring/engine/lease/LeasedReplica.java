package io.github.litestreamspring.engine.lease;

import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.WriteGuard;

/**
 * What the lease needs of a replica: its name (for messages), the store its lease object lives in, and
 * the place to install the write guard ({@link FencedReplicaClient}). The replication's {@code Replica}
 * is one; the lease package does not depend on it.
 */
public interface LeasedReplica {

	String name();

	ReplicaClient client();

	/**
	 * Sets (or, with {@code null}, removes) the guard that every write and delete through
	 * {@link #client()} asks first.
	 */
	void setWriteGuard(WriteGuard guard);

}
