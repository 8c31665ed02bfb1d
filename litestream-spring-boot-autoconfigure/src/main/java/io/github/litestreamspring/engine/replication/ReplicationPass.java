package io.github.litestreamspring.engine.replication;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.db.Database;
import io.github.litestreamspring.engine.db.SyncResult;

/**
 * One pass of the replication thread (Litestream's {@code DB.Sync} plus the replicas' syncs): shadow WAL
 * copy, uploads to the replicas that are behind and due, a checkpoint if one is due, the shadow WAL
 * bound, scheduled snapshots and retention; releases the durability waiters whose commits every replica
 * holds. Also plans how long the thread may sleep until the next pass. Runs on the replication thread
 * only, apart from the volatile fields read by {@link Replicator#status()}.
 */
final class ReplicationPass {

	/** Under Replicator's name, as before this class was split from it: the log category is unchanged. */
	private static final Logger logger = LoggerFactory.getLogger(Replicator.class);

	private final Database database;

	private final List<Replica> replicas;

	private final Map<Replica, ReplicaState> replicaStates;

	/** Each pass's uploads and their bookkeeping per replica. */
	private final ReplicaShipping shipping;

	private final DurableWaiters durableWaiters;

	private final CommitSignals commits;

	private final Supplier<ReplicationListener> listener;

	/** The database monitor thread while replication runs, {@code null} otherwise. */
	private final Supplier<DatabaseMonitor> monitor;

	/** Snapshot and retention schedules, created on the replication thread's first pass. */
	private final Map<Replica, ReplicaMaintenance> maintenance = new HashMap<>();

	private volatile long shadowWalMaxBytes = Replicator.DEFAULT_SHADOW_WAL_MAX_BYTES;

	private volatile Instant lastSyncAt;

	private volatile String lastError;

	ReplicationPass(Database database, List<Replica> replicas, Map<Replica, ReplicaState> replicaStates,
			ReplicaShipping shipping, DurableWaiters durableWaiters, CommitSignals commits,
			Supplier<ReplicationListener> listener, Supplier<DatabaseMonitor> monitor) {
		this.database = database;
		this.replicas = replicas;
		this.replicaStates = replicaStates;
		this.shipping = shipping;
		this.durableWaiters = durableWaiters;
		this.commits = commits;
		this.listener = listener;
		this.monitor = monitor;
	}

	void setShadowWalMaxBytes(long maxBytes) {
		this.shadowWalMaxBytes = maxBytes;
	}

	long shadowWalMaxBytes() {
		return this.shadowWalMaxBytes;
	}

	/** When the local pass last succeeded, or {@code null}. */
	Instant lastSyncAt() {
		return this.lastSyncAt;
	}

	/** The local pass's error while it lasts, or {@code null}. */
	String lastError() {
		return this.lastError;
	}

	/** The replicas' last errors, each after {@code "; "}; empty when none has one. */
	String replicaErrors() {
		StringBuilder sb = new StringBuilder();
		for (Replica replica : this.replicas) {
			String error = this.replicaStates.get(replica).lastError;
			if (error != null) {
				sb.append("; ").append(error);
			}
		}
		return sb.toString();
	}

	/** What {@link Replicator#status()} reports; {@code unshipped} learns the local position on the way. */
	ReplicationStatus status(boolean running, UnshippedCommits unshipped) {
		Pos local = this.database.position();
		List<ReplicationStatus.Replica> replicaStatus = new ArrayList<>();
		long nowNanos = System.nanoTime();
		unshipped.seen(local, nowNanos);
		for (Replica replica : this.replicas) {
			ReplicaState s = this.replicaStates.get(replica);
			// After a failure the position is re-learnt from the replica; until then it holds what it last held.
			Pos held = replica.position().isNone() ? s.lastKnownPosition : replica.position();
			Duration lag = unshipped.lag(held, local, nowNanos);
			replicaStatus.add(new ReplicationStatus.Replica(replica.name(), replica.client().type(),
					replica.client().describe(), replica.position(), s.lastSyncAt, s.lastError, s.lastErrorAt, lag,
					ShadowWalLag.bytes(this.database, local, held), s.shadowWalWarning));
		}
		return new ReplicationStatus(this.database.path(), running, local, this.lastSyncAt, this.lastError,
				List.copyOf(replicaStatus));
	}

	/**
	 * One pass: shadow WAL copy, then every replica that is behind and due (all of them when forced or
	 * when callers wait for durability), then a checkpoint if one is due. Waiters whose commit every
	 * replica now holds are released.
	 */
	long run(boolean force) throws LitestreamException {
		this.commits.passStarted();
		List<CompletableFuture<Pos>> waiting = this.durableWaiters.drain();
		boolean urgent = force || !waiting.isEmpty();
		// Waiters are held to the upload ceiling (at most one interval of it), explicit syncs are not.
		ReplicaShipping.Urgency urgency = force ? ReplicaShipping.Urgency.FORCED
				: urgent ? ReplicaShipping.Urgency.WAITED_FOR : ReplicaShipping.Urgency.DUE;
		Instant now = Instant.now();
		ReplicaShipping.Round early = null;
		SyncResult result;
		try {
			// Copy only: a checkpoint (a write lock and fsyncs) must not stand between a commit and its upload.
			result = urgent ? null : localWork(this.database::trySync);
			if (result == null && !urgent) {
				// The monitor thread holds the database for a checkpoint (fsyncs, back-fill): what it has
				// copied into the shadow WAL so far need not wait for the checkpoint's end.
				early = this.shipping.ship(this.database.position(), ReplicaShipping.Urgency.DUE, now, null, null);
			}
			if (result == null) {
				result = localWork(() -> this.database.sync(false));
			}
		}
		catch (LitestreamException ex) {
			this.durableWaiters.requeue(waiting);
			if (force) {
				throw ex;
			}
			return 0;
		}
		if (result.newGeneration()) {
			for (Replica replica : this.replicas) {
				replica.resetPosition();
			}
		}
		ReplicaShipping.Round first = this.shipping.ship(result.position(), urgency, now,
				(early != null) ? early.failure() : null, null);
		ReplicaShipping.Round shipped = first;
		DatabaseMonitor m = this.monitor.get();
		try {
			if (!urgent && m != null) {
				// On the monitor thread: the checkpoint then delays no upload of the next commits.
				if (this.database.checkpointDue()) {
					m.request();
				}
			}
			else {
				SyncResult checkpointed = localWork(this.database::checkpointIfDue);
				if (checkpointed != null && checkpointed.checkpointRestarted() && urgent) {
					// The checkpoint began a new WAL index with the engine's own commit; when a caller waits
					// for this pass, replicas that were current get it now, so that they are not left a frame
					// behind. Otherwise it goes with the next upload (one object, not two).
					shipped = this.shipping.ship(checkpointed.position(), urgency, Instant.now(), shipped.failure(),
							shipped.current());
				}
			}
		}
		catch (LitestreamException ex) {
			// Logged by localWork; the next pass tries again.
		}
		Pos local = shipped.local();
		this.database.pruneShadowWal(shipped.lowestIndex());
		boundShadowWal(local.generation());
		if (!force) {
			for (Replica replica : this.replicas) {
				this.maintenance.computeIfAbsent(replica, (r) -> new ReplicaMaintenance(r, this.database, now))
					.runDue(Instant.now(), this.listener.get());
			}
		}
		if (first.current().size() == this.replicas.size()) {
			// Their commits were in the first round already, whatever became of the checkpoint's tail.
			waiting.forEach((w) -> w.complete(first.local()));
		}
		else {
			this.durableWaiters.requeue(waiting);
		}
		if (shipped.failure() != null && force) {
			throw shipped.failure();
		}
		return result.bytesCopied();
	}

	/**
	 * The local part of a pass (a shadow WAL copy, or a checkpoint that may return {@code null} when none
	 * was due); a failure is logged once (then at DEBUG while it lasts) and rethrown.
	 */
	private SyncResult localWork(Supplier<SyncResult> work) {
		try {
			SyncResult result = work.get();
			if (result == null) {
				return null;
			}
			this.lastSyncAt = Instant.now();
			if (this.lastError != null) {
				logger.info("{}: local sync recovered at {}", this.database.path(), result.position());
			}
			this.lastError = null;
			return result;
		}
		catch (LitestreamException ex) {
			if (!ex.getMessage().equals(this.lastError)) {
				logger.error("{}: {}", this.database.path(), ex.getMessage());
			}
			else {
				logger.debug("{}: {}", this.database.path(), ex.getMessage());
			}
			this.lastError = ex.getMessage();
			throw ex;
		}
	}

	/**
	 * Applies the shadow WAL bound; a replica that needed a deleted index is flagged until it has
	 * caught up again (from a new snapshot).
	 */
	private void boundShadowWal(String generation) {
		long lowestKept = this.database.boundShadowWal(this.shadowWalMaxBytes);
		if (lowestKept < 0) {
			return;
		}
		for (Replica replica : this.replicas) {
			Pos pos = replica.position();
			boolean needed = pos.isNone() || !pos.generation().equals(generation) || pos.index() < lowestKept;
			ReplicaState s = this.replicaStates.get(replica);
			if (needed && s.shadowWalWarning == null) {
				s.shadowWalWarning = "replica '" + replica.name() + "' fell behind the local shadow WAL bound ("
						+ formatSize(this.shadowWalMaxBytes) + "); it will resume from a new snapshot";
				logger.warn("{}: {}", this.database.path(), s.shadowWalWarning);
			}
		}
	}

	private static String formatSize(long bytes) {
		return (bytes >= 1024 * 1024) ? (bytes / (1024 * 1024)) + " MB" : (bytes / 1024) + " KB";
	}

	/**
	 * How long the replication thread may sleep: until the next replica that is behind becomes due,
	 * or a scheduled snapshot or retention check is, at most the monitor interval (the slow poll that
	 * catches writers outside this JVM).
	 */
	long sleepMillis() {
		long millis = this.database.options().monitorInterval().toMillis();
		Pos local = this.database.position();
		Instant now = Instant.now();
		for (Replica replica : this.replicas) {
			ReplicaState s = this.replicaStates.get(replica);
			if (!UnshippedCommits.holds(replica.position(), local) && s.nextAttemptAt != null) {
				millis = Math.min(millis, millisUntil(now, s.nextAttemptAt));
			}
		}
		for (ReplicaMaintenance m : this.maintenance.values()) {
			Instant due = m.nextDueAt();
			if (due != null) {
				millis = Math.min(millis, Math.max(0, Duration.between(now, due).toMillis()));
			}
		}
		if (!this.durableWaiters.isEmpty()) {
			millis = Math.min(millis, 50);
			// Waiters ship as soon as the upload ceiling lets the replicas they wait for upload again.
			for (Replica replica : this.replicas) {
				Instant token = this.replicaStates.get(replica).tokenAt;
				if (!UnshippedCommits.holds(replica.position(), local) && token != null) {
					millis = Math.min(millis, millisUntil(now, token));
				}
			}
		}
		return this.commits.sleepMillis(millis, nextUploadDue(now));
	}

	/** Whole milliseconds until {@code at}, rounded up so that a sleep does not end just before it. */
	private static long millisUntil(Instant now, Instant at) {
		return Math.max(0, (Duration.between(now, at).toNanos() + 999_999) / 1_000_000);
	}

	/** Milliseconds until the first replica may upload again; 0 if one may now. */
	private long nextUploadDue(Instant now) {
		long millis = Long.MAX_VALUE;
		for (Replica replica : this.replicas) {
			Instant next = this.replicaStates.get(replica).nextAttemptAt;
			millis = Math.min(millis, (next == null) ? 0 : millisUntil(now, next));
		}
		return (millis == Long.MAX_VALUE) ? 0 : millis;
	}

}
