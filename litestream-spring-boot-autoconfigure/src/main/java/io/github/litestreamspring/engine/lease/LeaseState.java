package io.github.litestreamspring.engine.lease;

/** Where this instance stands with one replica's lease ({@link ReplicaLease}). */
public enum LeaseState {

	/** Not tried yet. */
	NEW,

	/** Ours: writing is allowed while renewals succeed. */
	HELD,

	/** Another instance holds it. */
	WAITING,

	/** It was ours and another instance took it. */
	LOST,

	/** It was ours and we handed it over to another instance, with our final position. */
	HANDED_OVER

}
