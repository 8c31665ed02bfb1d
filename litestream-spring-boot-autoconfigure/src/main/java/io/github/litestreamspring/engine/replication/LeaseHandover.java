package io.github.litestreamspring.engine.replication;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.lease.LeasedReplica;
import io.github.litestreamspring.engine.db.Database;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.lease.ReplicaLease;
import io.github.litestreamspring.engine.lease.ReplicaLeases;
import io.github.litestreamspring.engine.lease.WriteGate;

/**
 * One {@link Replicator}'s side of the lease hand-over (see {@link ReplicaLease}): answers another
 * instance's request for the leases, and keeps the {@link WriteGate} in step with them — open only
 * while every lease is ours, closed for good once they were handed over or lost, unless this instance
 * may take them back because the replica still ends where it left it ({@link TakeBack}).
 * <p>
 * The hand-over itself runs on the replication thread (it ships); the gate follows lease changes on the
 * lease thread.
 */
final class LeaseHandover {

	private static final Logger logger = LoggerFactory.getLogger(LeaseHandover.class);

	/** How often a drain ships at most, when no replica's sync interval is shorter (bounded to 50 ms..1 s). */
	private static final Duration DRAIN_SHIP_SLICE = Duration.ofMillis(100);

	private final Database database;

	private final List<Replica> replicas;

	private final Map<Replica, ReplicaState> replicaStates;

	private final WriteGate writeGate;

	private final Supplier<ReplicaLeases> leases;

	/** A forced pass of the replication thread: ships the local position to every replica or throws. */
	private final Runnable shipAll;

	/** Where this instance handed its leases over (its final position), or {@code null}. */
	private volatile Pos handedOverAt;

	private volatile String handedOverTo;

	/** How long a hand-over waits for the write transactions in flight to end before it gives up. */
	private volatile Duration drainTimeout = Duration.ofSeconds(10);

	LeaseHandover(Database database, List<Replica> replicas, Map<Replica, ReplicaState> replicaStates,
			WriteGate writeGate, Supplier<ReplicaLeases> leases, Runnable shipAll) {
		this.database = database;
		this.replicas = replicas;
		this.replicaStates = replicaStates;
		this.writeGate = writeGate;
		this.leases = leases;
		this.shipAll = shipAll;
	}

	void setDrainTimeout(Duration timeout) {
		this.drainTimeout = timeout;
	}

	Pos handedOverAt() {
		return this.handedOverAt;
	}

	/** A new start: nothing handed over. */
	void reset() {
		this.handedOverAt = null;
		this.handedOverTo = null;
	}

	/**
	 * Answers another instance's request for the leases, on the replication thread: pauses new write
	 * transactions, waits for those in flight, ships everything to every replica, and hands each lease
	 * over with the final position; from then on this instance refuses writes. If writes do not drain in
	 * time or a replica cannot be brought up to date, writes resume and the next renewal answers again.
	 */
	void handOver(String requester) {
		ReplicaLeases guard = this.leases.get();
		if (guard == null) {
			return;
		}
		long started = System.nanoTime();
		this.writeGate.pause("handing " + this.database.path().getFileName() + " over to instance " + requester);
		try {
			if (!awaitWritesDrained()) {
				throw new LitestreamException(this.writeGate.inFlight() + " write transaction(s) still open after "
						+ this.drainTimeout);
			}
			Pos at = shipEverything();
			// Set before the leases change hands: the new owner may look at once, and the gate must never
			// be reopened by the lease change itself.
			this.handedOverAt = at;
			this.handedOverTo = requester;
			if (!guard.handOver(at)) {
				reset();
				throw new LitestreamException("no lease could be handed over");
			}
			this.writeGate.close("this instance handed " + this.database.path().getFileName() + " over to instance "
					+ requester + " at " + at + "; it accepts reads only until it stops");
			logger.info("{}: handed over to instance {} at {} in {} ms; writes are refused from now on",
					this.database.path(), requester, at, (System.nanoTime() - started) / 1_000_000);
		}
		catch (RuntimeException ex) {
			guard.handoverFailed(this.drainTimeout.multipliedBy(2));
			followLeases();
			logger.warn("{}: hand-over to instance {} not done, writes resume: {}", this.database.path(), requester,
					ex.getMessage());
		}
	}

	/**
	 * Waits for the write transactions in flight to end, shipping what is committed meanwhile at the
	 * replicas' pace: the replication thread runs this wait, and a crash during a long drain must lose no
	 * more than one sync interval's commits, as at any other time.
	 */
	private boolean awaitWritesDrained() {
		long deadline = System.nanoTime() + this.drainTimeout.toNanos();
		long slice = this.replicas.stream()
			.mapToLong((r) -> r.options().syncInterval().toNanos())
			.min()
			.orElse(DRAIN_SHIP_SLICE.toNanos());
		slice = Math.max(DRAIN_SHIP_SLICE.toNanos() / 2, Math.min(slice, DRAIN_SHIP_SLICE.toNanos() * 10));
		try {
			while (true) {
				if (this.writeGate.inFlight() > 0) {
					shipQuietly();
				}
				long left = deadline - System.nanoTime();
				if (this.writeGate.awaitDrained(Duration.ofNanos(Math.max(0, Math.min(left, slice))))) {
					return true;
				}
				if (left <= slice) {
					return false;
				}
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new LitestreamException("interrupted while waiting for write transactions to end", ex);
		}
	}

	/** A sync while draining; a failure is left to the final sync, which must succeed. */
	private void shipQuietly() {
		try {
			this.shipAll.run();
		}
		catch (RuntimeException ex) {
			logger.debug("{}: sync while draining failed, the final sync retries: {}", this.database.path(),
					ex.getMessage());
		}
	}

	/** Final syncs until every replica holds the local position (the engine's own commits may add one). */
	Pos shipEverything() {
		for (int attempt = 0; attempt < 3; attempt++) {
			this.shipAll.run();
			Pos local = this.database.position();
			if (this.replicas.stream().allMatch((r) -> r.position().equals(local))) {
				return local;
			}
		}
		throw new LitestreamException("the replicas did not reach the local position " + this.database.position());
	}

	/** Keeps the write gate in step with the leases: open only while every lease is ours. */
	void followLeases() {
		ReplicaLeases guard = this.leases.get();
		if (guard == null) {
			return;
		}
		String given = guard.given();
		if (guard.allHeld()) {
			if (this.handedOverAt != null) {
				logger.warn("{}: leases taken back after the hand-over to instance {}: the replica still ends at {}; "
						+ "writes resume", this.database.path(), this.handedOverTo, this.handedOverAt);
				this.handedOverAt = null;
				this.handedOverTo = null;
			}
			this.writeGate.open();
		}
		else if (given != null && this.handedOverAt == null) {
			this.writeGate.close(given);
		}
		else if (this.handedOverAt == null) {
			String refusal = guard.firstRefusal();
			if (refusal != null) {
				this.writeGate.close(refusal);
			}
		}
	}

	/**
	 * Whether this instance may take a lease (back) now: the replica ends within the local history
	 * ({@link TakeBack}). Commits made since the lease was lost, if any, lie on top of what the replica
	 * holds and are shipped in the same generation.
	 */
	boolean takeBackAllowed(LeasedReplica replica) {
		try {
			return TakeBack.replicaEndsWithin(replica.client(), this.database.position());
		}
		catch (java.io.IOException | RuntimeException ex) {
			return false;
		}
	}

}
