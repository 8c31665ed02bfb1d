package io.github.litestreamspring.engine.replication;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.db.Database;
import io.github.litestreamspring.engine.lease.ReplicaLease;
import io.github.litestreamspring.engine.lease.ReplicaLeases;
import io.github.litestreamspring.engine.lease.WriteGate;

/**
 * Makes one {@link Replicator}'s leases idle once its database has not changed for the lease options'
 * {@code idleAfter} (see {@link ReplicaLease}): on the replication thread, after a pass, it puts the
 * write gate to sleep (no write may start before the leases are active again), ships everything to
 * every replica and writes each lease as idle at that position. The next write wakes the gate, whose
 * waker makes the leases active again; an upload does the same through the replica's write guard.
 * <p>
 * Why: a held lease is renewed every third of its TTL (6 requests a minute at 30 s) only so that a
 * holder notices a hand-over request in time and a dead holder's lease expires. An idle lease needs
 * neither: a starting instance takes it at once, and its holder renews it every third of the idle TTL.
 */
final class LeaseIdling {

	private static final Logger logger = LoggerFactory.getLogger(LeaseIdling.class);

	private final Database database;

	private final WriteGate writeGate;

	private final Supplier<ReplicaLeases> leases;

	private final LeaseHandover handover;

	/** The local position last seen, and since when it has not changed. */
	private Pos unchanged;

	private long unchangedSinceNanos;

	LeaseIdling(Database database, WriteGate writeGate, Supplier<ReplicaLeases> leases, LeaseHandover handover) {
		this.database = database;
		this.writeGate = writeGate;
		this.leases = leases;
		this.handover = handover;
	}

	/** After a pass of the replication thread: makes the leases idle once the database has been quiet long enough. */
	void afterPass() {
		ReplicaLeases guard = this.leases.get();
		Duration idleAfter = (guard != null) ? guard.idleAfter() : null;
		if (idleAfter == null || this.handover.handedOverAt() != null || guard.idle() || !guard.allHeld()) {
			this.unchanged = null;
			return;
		}
		Pos local = this.database.position();
		long now = System.nanoTime();
		if (!local.equals(this.unchanged) || this.writeGate.state() != WriteGate.State.OPEN
				|| this.writeGate.inFlight() > 0) {
			this.unchanged = local;
			this.unchangedSinceNanos = now;
			return;
		}
		// The idle database's checkpoint restarts the WAL, a change of position that would wake the
		// leases at once: wait for it (bounded, in case it cannot restart the WAL).
		Duration quiet = this.database.idleCheckpointPending()
				? idleAfter.plus(this.database.options().checkpointInterval()) : idleAfter;
		if (now - this.unchangedSinceNanos < quiet.toNanos()) {
			return;
		}
		// Counted again from now if it does not work out (a write came, or a replica is behind).
		this.unchangedSinceNanos = now;
		try {
			if (!guard.goIdle(() -> this.writeGate.sleep(() -> wake(guard)) ? this.handover.shipEverything() : null)) {
				this.writeGate.awake();
			}
		}
		catch (RuntimeException ex) {
			this.writeGate.awake();
			logger.debug("{}: leases not made idle: {}", this.database.path(), ex.getMessage());
		}
	}

	/** The write gate's waker: the leases active again before a write (or the gate closed: they were taken). */
	private static void wake(ReplicaLeases guard) {
		try {
			guard.wake();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("the lease store is unreachable: " + ex.getMessage(), ex);
		}
	}

}
