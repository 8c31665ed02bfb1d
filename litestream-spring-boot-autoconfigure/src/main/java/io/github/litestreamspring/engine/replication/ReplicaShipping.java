package io.github.litestreamspring.engine.replication;

import java.io.IOException;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.db.Database;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.lease.LeaseState;
import io.github.litestreamspring.engine.lease.ReplicaLease;
import io.github.litestreamspring.engine.lease.ReplicaLeases;

/**
 * One round of uploads of a replication pass: every replica that is behind and due gets the local
 * position, and the outcome of each attempt is booked in its {@link ReplicaState} (next attempt,
 * backoff, errors logged once, recovery). Runs on the replication thread only.
 */
final class ReplicaShipping {

	private static final Logger logger = LoggerFactory.getLogger(ReplicaShipping.class);

	private final Database database;

	private final List<Replica> replicas;

	private final Map<Replica, ReplicaState> states;

	private final Supplier<ReplicationListener> listener;

	private final Supplier<ReplicaLeases> leases;

	private final UnshippedCommits unshipped;

	ReplicaShipping(Database database, List<Replica> replicas, Map<Replica, ReplicaState> states,
			Supplier<ReplicationListener> listener, Supplier<ReplicaLeases> leases, UnshippedCommits unshipped) {
		this.database = database;
		this.replicas = replicas;
		this.states = states;
		this.listener = listener;
		this.leases = leases;
		this.unshipped = unshipped;
	}

	/** Which replicas that are behind a round ships to. */
	enum Urgency {

		/** Those due: sync interval, backoff and upload ceiling passed. */
		DUE,
		/** Those the upload ceiling lets upload now, due or not: callers wait for durability. */
		WAITED_FOR,
		/** All of them: an explicit sync, the final one at stop, a hand-over. */
		FORCED;

		boolean allows(ReplicaState s, Instant now) {
			return switch (this) {
				case DUE -> s.due(now);
				case WAITED_FOR -> s.withinCeiling(now);
				case FORCED -> true;
			};
		}

	}

	/**
	 * Ships {@code local} to every replica that is behind and that {@code urgency} allows; with
	 * {@code only}, just to those replicas. A replica holds {@code local} when it is at that position or
	 * beyond it (the monitor may have moved the local position on while an upload ran).
	 */
	Round ship(Pos local, Urgency urgency, Instant now, LitestreamException failure, Set<Replica> only) {
		this.unshipped.seen(local, System.nanoTime());
		long lowestIndex = Long.MAX_VALUE;
		Set<Replica> current = new HashSet<>();
		for (Replica replica : this.replicas) {
			ReplicaState s = this.states.get(replica);
			boolean behind = !UnshippedCommits.holds(replica.position(), local);
			ReplicaLeases guard = this.leases.get();
			String refusal = (guard != null) ? guard.refusal(replica) : null;
			if (refusal != null) {
				failure = leaseRefused(replica, s, refusal, failure);
			}
			else if (behind && (only == null || only.contains(replica)) && urgency.allows(s, now)) {
				failure = syncReplica(replica, s, local, failure);
			}
			Pos pos = replica.position();
			if (UnshippedCommits.holds(pos, local)) {
				current.add(replica);
			}
			lowestIndex = Math.min(lowestIndex,
					(pos.isNone() || !pos.generation().equals(local.generation())) ? 0 : pos.index());
		}
		forgetShipped(local);
		return new Round(local, current, lowestIndex, failure);
	}

	/** Lets the lag bookkeeping drop what every replica holds (as far as each was last known to be). */
	private void forgetShipped(Pos local) {
		Pos lowest = null;
		for (Replica replica : this.replicas) {
			Pos pos = replica.position().isNone() ? this.states.get(replica).lastKnownPosition : replica.position();
			if (pos.isNone() || local.isNone() || !pos.generation().equals(local.generation())) {
				return;
			}
			lowest = (lowest == null || pos.compareTo(lowest) < 0) ? pos : lowest;
		}
		if (lowest != null) {
			this.unshipped.shipped(lowest);
		}
	}

	/** What a round left: the local position, the replicas holding it, the lowest index. */
	record Round(Pos local, Set<Replica> current, long lowestIndex, LitestreamException failure) {
	}

	/** Another instance holds (or took) this replica path: upload nothing, say why in the status. */
	private LitestreamException leaseRefused(Replica replica, ReplicaState s, String refusal,
			LitestreamException failure) {
		// What the other writer did is unknown: learn the position from the replica once the lease is ours.
		replica.resetPosition();
		s.nextAttemptAt = null;
		String message = "replica '" + replica.name() + "' not written: " + refusal;
		// Log each state of the lease once, not every renewal the holder makes.
		ReplicaLeases guard = this.leases.get();
		String cause = (guard != null) ? guard.refusalKind(replica) : refusal;
		if (!cause.equals(s.lastLoggedCause)) {
			ReplicaLease lease = (guard != null) ? guard.lease(replica) : null;
			LeaseState state = (lease != null) ? lease.state() : LeaseState.NEW;
			if (state == LeaseState.HELD || state == LeaseState.LOST) {
				// It was ours and may be another instance's now: writes stopped, loudly.
				logger.error("{}: {}", this.database.path(), message);
			}
			else {
				logger.warn("{}: {}", this.database.path(), message);
			}
			s.lastLoggedCause = cause;
			s.lastErrorAt = Instant.now();
		}
		s.lastError = message;
		return (failure != null) ? failure : new LitestreamException(message);
	}

	private LitestreamException syncReplica(Replica replica, ReplicaState s, Pos local,
			LitestreamException failure) {
		long started = System.nanoTime();
		Instant attemptAt = Instant.now();
		ReplicationListener.Timing timing = this.listener.get().begin(ReplicationListener.Work.REPLICA_SYNC, replica);
		try {
			long bytes = replica.sync(this.database);
			timing.end(null);
			timing = ReplicationListener.Timing.NONE;
			s.attempted(attemptAt, replica.options(), false);
			s.lastSyncAt = Instant.now();
			if (s.lastError != null) {
				logger.info("{}: replica '{}' recovered at {}", this.database.path(), replica.name(),
						replica.position());
			}
			s.lastError = null;
			s.lastErrorAt = null;
			s.lastLoggedCause = null;
			if (s.shadowWalWarning != null) {
				logger.info("{}: replica '{}' resumed at {} after falling behind the shadow WAL bound",
						this.database.path(), replica.name(), replica.position());
				s.shadowWalWarning = null;
			}
			s.lastKnownPosition = replica.position();
			// The monitor may have copied more during the upload: that is when those commits were first seen.
			this.unshipped.seen(this.database.position(), System.nanoTime());
			this.listener.get().onReplicaSync(replica, bytes, System.nanoTime() - started);
			return failure;
		}
		catch (IOException | RuntimeException ex) {
			timing.end(ex);
			s.attempted(attemptAt, replica.options(), true);
			replica.resetPosition();
			String message = "cannot sync replica '" + replica.name() + "' (" + replica.client().describe() + ") at "
					+ local + ": " + ex.getMessage();
			// Log a failure once, not on every attempt: compare the cause only, since the message also
			// carries the local position, which moves with every commit the application makes.
			String cause = String.valueOf(ex.getMessage());
			if (!cause.equals(s.lastLoggedCause)) {
				logger.error("{}: {}", this.database.path(), message);
				s.lastLoggedCause = cause;
			}
			else {
				logger.debug("{}: {}", this.database.path(), message);
			}
			s.lastError = message;
			s.lastErrorAt = Instant.now();
			this.listener.get().onReplicaError(replica, ex);
			return (failure != null) ? failure : new LitestreamException(message, ex);
		}
	}

}
