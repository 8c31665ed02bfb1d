package io.github.litestreamspring.engine.replication;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.db.Database;
import io.github.litestreamspring.engine.lease.LeaseOptions;
import io.github.litestreamspring.engine.lease.LeaseStoreUnreachableException;
import io.github.litestreamspring.engine.lease.ReplicaLease;
import io.github.litestreamspring.engine.lease.ReplicaLeases;
import io.github.litestreamspring.engine.lease.WriteGate;

/**
 * The single-writer leases of one {@link Replicator}, wired to the rest of replication: built with the
 * local state's id, taken before the pool opens ({@link #acquire}) or at start, released at a stop.
 * A hand-over request goes to the replication thread ({@link LeaseHandover}), every state change to the
 * write gate, and a lease taken later wakes the replication thread.
 */
final class LeaseLifecycle {

	private final Database database;

	private final List<Replica> replicas;

	private final WriteGate writeGate;

	private final LeaseHandover handover;

	private final ReplicationLoop loop;

	private final Runnable onAcquired;

	private volatile LeaseOptions options = LeaseOptions.DISABLED;

	/** The single-writer guard while running with leases enabled (or taken before the start); {@code null} otherwise. */
	private volatile ReplicaLeases leases;

	LeaseLifecycle(Database database, List<Replica> replicas, WriteGate writeGate, LeaseHandover handover,
			ReplicationLoop loop, Runnable onAcquired) {
		this.database = database;
		this.replicas = replicas;
		this.writeGate = writeGate;
		this.handover = handover;
		this.loop = loop;
		this.onAcquired = onAcquired;
	}

	void setOptions(LeaseOptions options) {
		this.options = (options != null) ? options : LeaseOptions.DISABLED;
	}

	boolean enabled() {
		return this.options.enabled();
	}

	/** The leases in use, or {@code null}. */
	ReplicaLeases current() {
		return this.leases;
	}

	/** See {@link Replicator#leaseState}. */
	String state(Replica replica) {
		ReplicaLeases guard = this.leases;
		ReplicaLease lease = (guard != null) ? guard.lease(replica) : null;
		return (lease != null) ? lease.state().name().toLowerCase(Locale.ROOT) : null;
	}

	/** See {@link Replicator#acquireLeases}; called only while replication is stopped, with leases enabled. */
	Pos acquire(Duration timeout) {
		if (this.leases == null) {
			this.leases = newLeases();
		}
		try {
			return this.leases.acquire(timeout);
		}
		catch (LeaseStoreUnreachableException ex) {
			// Whether another instance writes is unknown: no write until the lease is ours (the lease
			// thread keeps trying, and takes it only while the replica ends within the local history).
			this.writeGate.close("the lease store is unreachable, so whether another instance writes is unknown ("
					+ ex.getMessage() + "); writes resume once the lease is taken");
			throw ex;
		}
		catch (RuntimeException ex) {
			this.leases = null;
			throw ex;
		}
	}

	/**
	 * At start, with leases enabled: uses the leases {@link #acquire} took, or takes them now, and lets
	 * the write gate follow them.
	 * @throws LitestreamException if a lease cannot be taken for good (see {@link ReplicaLeases#start()})
	 */
	void start() {
		ReplicaLeases guard = this.leases;
		if (guard == null || !guard.started()) {
			guard = newLeases();
			guard.start();
		}
		this.leases = guard;
		this.handover.reset();
		this.handover.followLeases();
	}

	/** Stops the lease thread and forgets the leases; releases them if {@code release}. */
	void stop(boolean release) {
		ReplicaLeases guard = this.leases;
		if (guard != null) {
			guard.stop(release);
			this.leases = null;
		}
	}

	private ReplicaLeases newLeases() {
		ReplicaLeases guard = new ReplicaLeases(this.options, String.valueOf(this.database.path().getFileName()),
				this.replicas, this.onAcquired);
		guard.setOnHandoverRequested((requester) -> this.loop.execute(() -> {
			if (this.loop.isRunning()) {
				this.handover.handOver(requester);
			}
		}));
		guard.setOnStateChange(this.handover::followLeases);
		guard.setTakeBackAllowed(this.handover::takeBackAllowed);
		String stateId;
		try {
			stateId = this.database.localState().stateId();
		}
		catch (IOException ex) {
			stateId = null; // the lease then names no local state: a crashed predecessor's lease expires
		}
		guard.setLocalState(stateId, () -> this.database.localState().isUnlocked(this.database.path()));
		return guard;
	}

}
