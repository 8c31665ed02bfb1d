package io.github.litestreamspring.engine.lease;

import io.github.litestreamspring.engine.ReplicaClient;

/**
 * What the lease needs to know of a replica: its name (for messages) and the store its lease object
 * lives in. The replication's {@code Replica} is one; the lease package does not depend on it.
 */
public interface LeasedReplica {

	String name();

	ReplicaClient client();

}
