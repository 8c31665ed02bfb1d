package io.github.litestreamspring.engine.replication;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.db.Database;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.db.SyncResult;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.lease.LeaseOptions;
import io.github.litestreamspring.engine.lease.LeaseStoreUnreachableException;
import io.github.litestreamspring.engine.lease.ReplicaLease;
import io.github.litestreamspring.engine.lease.ReplicaLeases;
import io.github.litestreamspring.engine.lease.WriteGate;

/**
 * Replicates one SQLite database to its replicas: the engine's public face for the Spring layer and
 * for programs that embed it.
 * <p>
 * One named daemon thread per database runs every step (shadow WAL sync, checkpoints, uploads,
 * snapshots), so they never race each other. It wakes every {@code monitorInterval}, when
 * {@link #notifyChange()} signals a commit, and for {@link #syncNow()} / {@link #snapshotNow()}.
 * Errors are logged and recorded in {@link #status()}; the loop carries on and the next pass starts
 * over from what the replica really holds. {@link #stop()} runs a final sync so that a clean stop
 * loses nothing.
 */
public final class Replicator implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(Replicator.class);

	private static final Runnable WAKE_UP = () -> {
	};

	/** Default time commits are collected before one upload ships them together. */
	public static final Duration DEFAULT_COMMIT_WINDOW = Duration.ofMillis(2);

	/** Default bound of the current generation's local shadow WAL: 1 GiB. */
	public static final long DEFAULT_SHADOW_WAL_MAX_BYTES = 1024L * 1024 * 1024;

	private final Database database;

	private final List<Replica> replicas;

	private final LinkedBlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();

	private final Map<Replica, ReplicaState> replicaStates = new HashMap<>();

	/** Each pass's uploads and their bookkeeping per replica. */
	private final ReplicaShipping shipping;

	private final DurableWaiters durableWaiters = new DurableWaiters();

	/** When each local position not yet in every replica was first seen: the replicas' lag. */
	private final UnshippedCommits unshipped = new UnshippedCommits();

	/** Snapshot and retention schedules, created on the replication thread's first pass. */
	private final Map<Replica, ReplicaMaintenance> maintenance = new HashMap<>();

	private volatile long shadowWalMaxBytes = DEFAULT_SHADOW_WAL_MAX_BYTES;

	private final Duration commitWindow;

	private final CommitSignals commits = new CommitSignals();

	private volatile ReplicationListener listener = ReplicationListener.NONE;

	private volatile Thread thread;

	/** Runs local passes for a busy writer beside the replication thread; {@code null} while stopped. */
	private volatile DatabaseMonitor monitor;

	private volatile boolean running;

	private volatile Instant lastSyncAt;

	private volatile LeaseOptions leaseOptions = LeaseOptions.DISABLED;

	/** The single-writer guard while running with leases enabled; {@code null} otherwise. */
	private volatile ReplicaLeases leases;

	private volatile String lastError;

	/** Admits the application's write transactions; paused and closed by a lease hand-over. */
	private final WriteGate writeGate;

	/** Answers other instances' requests for the leases; keeps the write gate in step with them. */
	private final LeaseHandover handover;

	public Replicator(DatabaseOptions options, List<Replica> replicas) {
		this(options, replicas, DEFAULT_COMMIT_WINDOW);
	}

	/**
	 * @param commitWindow after a commit wakes the replication thread, how long it waits for more
	 * commits to ship in the same segment; zero ships at once
	 */
	public Replicator(DatabaseOptions options, List<Replica> replicas, Duration commitWindow) {
		this.commitWindow = (commitWindow != null) ? commitWindow : DEFAULT_COMMIT_WINDOW;
		this.database = new Database(options);
		this.writeGate = new WriteGate(String.valueOf(options.path()));
		this.replicas = List.copyOf(replicas);
		for (Replica replica : this.replicas) {
			this.replicaStates.put(replica, new ReplicaState());
		}
		this.handover = new LeaseHandover(this.database, this.replicas, this.replicaStates, this.writeGate,
				() -> this.leases, () -> syncAll(true));
		this.shipping = new ReplicaShipping(this.database, this.replicas, this.replicaStates, () -> this.listener,
				() -> this.leases, this.unshipped);
	}

	public Path databasePath() {
		return this.database.path();
	}

	public Database database() {
		return this.database;
	}

	/** The gate the application's write transactions pass (the Spring layer's pooled connections). */
	public WriteGate writeGate() {
		return this.writeGate;
	}

	/** Asks the database monitor thread for a local pass (copy, checkpoint if due) now, as a busy writer does. */
	public void requestLocalPass() {
		DatabaseMonitor m = this.monitor;
		if (m != null) {
			m.request();
		}
	}

	public List<Replica> replicas() {
		return this.replicas;
	}

	/**
	 * Bounds the local shadow WAL of the current generation. While a replica lags (for example its store
	 * is unreachable) the shadow WAL keeps what it still needs; beyond this size the oldest files are
	 * deleted anyway, and that replica resumes from a new snapshot when it is back (reported in
	 * {@link #status()}). Zero or negative disables the bound. Default {@link #DEFAULT_SHADOW_WAL_MAX_BYTES}.
	 */
	public void setShadowWalMaxBytes(long maxBytes) {
		this.shadowWalMaxBytes = maxBytes;
	}

	public long shadowWalMaxBytes() {
		return this.shadowWalMaxBytes;
	}

	public void setListener(ReplicationListener listener) {
		this.listener = (listener != null) ? listener : ReplicationListener.NONE;
		this.database.setListener(this.listener);
		for (Replica replica : this.replicas) {
			replica.setListener(this.listener);
		}
	}

	/**
	 * Sets the single-writer guard, used from the next {@link #start()}. Disabled unless set (the Spring
	 * layer enables it by default).
	 */
	public void setLeaseOptions(LeaseOptions leaseOptions) {
		this.leaseOptions = (leaseOptions != null) ? leaseOptions : LeaseOptions.DISABLED;
	}

	/**
	 * The state of {@code replica}'s lease while replication runs with leases enabled: {@code "held"},
	 * {@code "waiting"} (another instance holds it), {@code "lost"} (it was ours and another instance
	 * took it) or {@code "new"} (not tried yet); {@code null} when leases are disabled or replication is
	 * stopped.
	 */
	public String leaseState(Replica replica) {
		ReplicaLeases guard = this.leases;
		ReplicaLease lease = (guard != null) ? guard.lease(replica) : null;
		return (lease != null) ? lease.state().name().toLowerCase(java.util.Locale.ROOT) : null;
	}

	/**
	 * Takes the lease of every replica path before the application may write (with leases enabled;
	 * otherwise does nothing), blocking up to {@code timeout}: a live holder is asked to hand its leases
	 * over, a crashed one is taken over once its lease has not changed for a TTL. {@link #start()} then
	 * uses the leases taken here.
	 * @return the final position a previous holder handed over with (the replica holds it), or {@code null}
	 * when there was no hand-over (a free, released or expired lease)
	 * @throws LeaseStoreUnreachableException when the store could not be reached for a while: the write
	 * gate is then closed, and the leases are taken later by the lease thread
	 * @throws LitestreamException when the leases were not taken within {@code timeout}, or at once with
	 * {@link LeaseOptions.OnConflict#FAIL} and a live holder
	 */
	public synchronized Pos acquireLeases(Duration timeout) {
		if (!this.leaseOptions.enabled() || this.running) {
			return null;
		}
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

	/** Whether the single-writer lease is on ({@link #setLeaseOptions}). */
	public boolean leasesEnabled() {
		return this.leaseOptions.enabled();
	}

	/** How long a hand-over waits for write transactions in flight to end before giving up (default 10 s). */
	public void setHandoverDrainTimeout(Duration timeout) {
		this.handover.setDrainTimeout(timeout);
	}

	/** Where this instance handed its leases over to another one, or {@code null}. */
	public Pos handedOverAt() {
		return this.handover.handedOverAt();
	}

	private ReplicaLeases newLeases() {
		ReplicaLeases guard = new ReplicaLeases(this.leaseOptions, String.valueOf(this.database.path().getFileName()),
				this.replicas, this::notifyChange);
		guard.setOnHandoverRequested((requester) -> this.tasks.offer(() -> {
			if (this.running) {
				this.handover.handOver(requester);
			}
		}));
		guard.setOnStateChange(this.handover::followLeases);
		guard.setTakeBackAllowed(this.handover::takeBackAllowed);
		String stateId;
		try {
			stateId = this.database.localState().stateId();
		}
		catch (java.io.IOException ex) {
			stateId = null; // the lease then names no local state: a crashed predecessor's lease expires
		}
		guard.setLocalState(stateId, () -> this.database.localState().isUnlocked(this.database.path()));
		return guard;
	}

	/**
	 * Opens the database for replication (taking the exclusive lock on its local state) and starts the
	 * replication thread. With leases enabled, then tries to take the lease of every replica path; uploads
	 * to a path wait until its lease is held.
	 * @throws LitestreamException if another replicator, in this process or another, replicates the same
	 * database (the message names the lock file and its holder); if another instance holds a replica path
	 * and the lease policy is {@link LeaseOptions.OnConflict#FAIL}
	 */
	public synchronized void start() {
		if (this.running) {
			return;
		}
		// After stopReplicating() without closeDatabase() the connections (and the lock) are still held.
		this.database.close();
		// First the local state's lock: a second replicator of the same database fails here, naming the first.
		this.database.open();
		if (this.leaseOptions.enabled()) {
			ReplicaLeases guard = this.leases;
			if (guard == null || !guard.started()) {
				guard = newLeases();
				try {
					guard.start();
				}
				catch (RuntimeException ex) {
					this.database.close();
					throw ex;
				}
			}
			this.leases = guard;
			this.handover.reset();
			this.handover.followLeases();
		}
		this.running = true;
		// After a stop() that timed out, the previous thread may still be inside a replica call (an S3
		// retry can last minutes); the new one waits for it to leave rather than run beside it.
		Thread predecessor = this.thread;
		Thread t = new Thread(() -> run(predecessor), "litestream-" + this.database.path().getFileName());
		t.setDaemon(true);
		this.thread = t;
		t.start();
		DatabaseMonitor m = new DatabaseMonitor(this.database,
				() -> this.unshipped.seen(this.database.position(), System.nanoTime()));
		m.start();
		this.monitor = m;
		logger.info("{}: replication started to {}", this.database.path(),
				this.replicas.stream().map(r -> r.name() + "=" + r.client().describe()).toList());
	}

	/**
	 * Stops the thread after a final sync of the database and every replica, then closes the engine's
	 * connections ({@link #closeDatabase()}). Waits at most {@code timeout} for the final sync.
	 */
	public synchronized void stop(Duration timeout) {
		stopReplicating(timeout);
		closeDatabase();
	}

	/**
	 * Stops replication as {@link #stop(Duration)} does, but leaves the engine's connections open until
	 * {@link #closeDatabase()}. An application that closes its own connections in between lets the
	 * engine's connection close last: SQLite then checkpoints the WAL into the file on that close, the
	 * engine records a clean stop, and the next start continues the same generation instead of
	 * uploading a new snapshot. Commits made in between reach the shadow WAL at that close and the
	 * replicas at the next start.
	 */
	public synchronized void stopReplicating(Duration timeout) {
		if (!this.running) {
			return;
		}
		long deadline = System.nanoTime() + timeout.toNanos();
		DatabaseMonitor m = this.monitor;
		this.monitor = null;
		if (m != null) {
			m.stop();
		}
		CompletableFuture<Void> done = submit(() -> {
			ReplicaLeases guard = this.leases;
			if (this.handover.handedOverAt() != null) {
				return null; // shipped everything before handing over
			}
			if (guard != null && !guard.anyHeld()) {
				logger.warn("{}: stopping without the lease ({}): nothing can be shipped; commits made since the last "
						+ "upload are not in the replica", this.database.path(), guard.firstRefusal());
				return null;
			}
			syncAll(true);
			return null;
		});
		try {
			done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (ExecutionException ex) {
			logger.error("{}: final sync failed, the replica may miss the last transactions: {}",
					this.database.path(), ex.getCause().getMessage());
		}
		catch (TimeoutException ex) {
			logger.error("{}: final sync did not finish within {}", this.database.path(), timeout);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		this.running = false;
		this.tasks.offer(WAKE_UP);
		try {
			// One budget for the final sync and the thread's end, not one each.
			this.thread.join(Math.max(100, (deadline - System.nanoTime()) / 1_000_000));
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		ReplicaLeases guard = this.leases;
		if (guard != null) {
			// Release only once nothing can write any more; a thread stuck in an upload lets it expire.
			guard.stop(!this.thread.isAlive());
			this.leases = null;
		}
		this.durableWaiters.failAll(new LitestreamException("replication of " + this.database.path() + " stopped"));
		logger.info("{}: replication stopped at {}", this.database.path(), this.database.position());
	}

	/**
	 * Closes the engine's connections after {@link #stopReplicating(Duration)}; does nothing while
	 * replication runs or once closed.
	 */
	public synchronized void closeDatabase() {
		if (this.running) {
			return;
		}
		ReplicaLeases guard = this.leases;
		if (guard != null) {
			// Taken by acquireLeases() for a start that never came (the application failed to start):
			// release them rather than renew them for as long as the JVM lives.
			guard.stop(true);
			this.leases = null;
		}
		this.database.close();
	}

	public void stop() {
		stop(Duration.ofSeconds(30));
	}

	@Override
	public void close() {
		stop();
	}

	public boolean isRunning() {
		return this.running;
	}

	/**
	 * Signals that the database may have changed (a commit): wakes the replication thread, which ships
	 * to every replica whose sync interval allows it. Cheap, never blocks; the Spring layer calls it from
	 * a commit listener on every pooled connection.
	 */
	public void notifyChange() {
		switch (this.commits.onCommit()) {
			case LOCAL_PASS -> {
				DatabaseMonitor m = this.monitor;
				if (m != null) {
					m.request();
				}
			}
			case PASS -> {
				if (this.tasks.isEmpty()) {
					this.tasks.offer(WAKE_UP);
				}
			}
			case NONE -> {
			}
		}
	}


	/**
	 * Waits until everything committed before this call is in every replica. Callers that wait at the
	 * same time share the uploads: one pass ships all their commits.
	 * @return the local position that is now durable
	 * @throws LitestreamException if that does not happen within {@code timeout}
	 */
	public Pos awaitDurable(Duration timeout) {
		if (!this.running) {
			throw new LitestreamException("replication of " + this.database.path() + " is not running");
		}
		CompletableFuture<Pos> durable = this.durableWaiters.add();
		this.tasks.offer(WAKE_UP);
		try {
			return durable.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (TimeoutException ex) {
			durable.cancel(false);
			throw new LitestreamException("commits to " + this.database.path() + " did not reach every replica within "
					+ timeout + describeErrors());
		}
		catch (ExecutionException ex) {
			throw new LitestreamException(ex.getCause().getMessage(), ex.getCause());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new LitestreamException("interrupted while waiting for replication of " + this.database.path(), ex);
		}
	}

	private String describeErrors() {
		StringBuilder sb = new StringBuilder();
		for (Replica replica : this.replicas) {
			String error = this.replicaStates.get(replica).lastError;
			if (error != null) {
				sb.append("; ").append(error);
			}
		}
		return sb.toString();
	}

	/** Syncs the database and ships to every replica now; returns the local position afterwards. */
	public Pos syncNow() {
		return await(submit(() -> {
			syncAll(true);
			return this.database.position();
		}));
	}

	/** Takes a snapshot to every replica now; returns what was written. */
	public List<SnapshotInfo> snapshotNow() {
		return await(submit(() -> {
			syncAll(true);
			List<SnapshotInfo> written = new ArrayList<>();
			for (Replica replica : this.replicas) {
				written.add(replica.snapshot(this.database));
			}
			return written;
		}));
	}

	/** Runs {@code work} on the replication thread and waits for it (e.g. a consistent read of state). */
	public <T> T callOnReplicationThread(Supplier<T> work) {
		return await(submit(work::get));
	}

	public ReplicationStatus status() {
		Pos local = this.database.position();
		List<ReplicationStatus.Replica> replicaStatus = new ArrayList<>();
		long nowNanos = System.nanoTime();
		this.unshipped.seen(local, nowNanos);
		for (Replica replica : this.replicas) {
			ReplicaState s = this.replicaStates.get(replica);
			// After a failure the position is re-learnt from the replica; until then it holds what it last held.
			Pos held = replica.position().isNone() ? s.lastKnownPosition : replica.position();
			Duration lag = this.unshipped.lag(held, local, nowNanos);
			replicaStatus.add(new ReplicationStatus.Replica(replica.name(), replica.client().type(),
					replica.client().describe(), replica.position(), s.lastSyncAt, s.lastError, s.lastErrorAt, lag,
					lagBytes(local, held), s.shadowWalWarning));
		}
		return new ReplicationStatus(this.database.path(), this.running, local, this.lastSyncAt, this.lastError,
				List.copyOf(replicaStatus));
	}

	// ---- the replication thread -------------------------------------------------------------------

	private void run(Thread predecessor) {
		if (predecessor != null && predecessor.isAlive()) {
			logger.warn("{}: waiting for the previous replication thread to finish its replica call",
					this.database.path());
			try {
				predecessor.join();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
		while (isCurrentThread()) {
			try {
				Runnable task = this.tasks.poll(sleepMillis(), TimeUnit.MILLISECONDS);
				this.commits.awake();
				if (!isCurrentThread()) {
					// Superseded by a restart meanwhile: what was taken belongs to the new thread.
					if (task != null && task != WAKE_UP) {
						this.tasks.offer(task);
					}
					break;
				}
				if (task != null && task != WAKE_UP) {
					task.run();
					continue;
				}
				if (task == WAKE_UP && this.commits.beforeUploadDue() && this.durableWaiters.isEmpty()) {
					// Woken only so as not to oversleep: plan the sleep again, now up to the due time.
					continue;
				}
				if (task == WAKE_UP) {
					this.commits.wokenByCommit();
					if (!this.commitWindow.isZero()) {
						// Let the commits of a short window share one segment and one upload.
						Thread.sleep(this.commitWindow.toMillis(), this.commitWindow.toNanosPart() % 1_000_000);
						this.tasks.removeIf((t) -> t == WAKE_UP);
					}
				}
				this.commits.passEnded(syncAll(false), task == null);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
			catch (RuntimeException ex) {
				logger.error("{}: unexpected error in replication loop", this.database.path(), ex);
			}
		}
		// Run what was submitted after the loop ended (e.g. the final sync of stop()), unless a restart
		// has already handed the queue to a new thread.
		Runnable task;
		while (this.thread == Thread.currentThread() && (task = this.tasks.poll()) != null) {
			task.run();
		}
	}

	/** Whether replication runs and this thread is the one doing it (not one a restart superseded). */
	private boolean isCurrentThread() {
		return this.running && this.thread == Thread.currentThread();
	}

	/**
	 * One pass: shadow WAL copy, then every replica that is behind and due (all of them when forced or
	 * when callers wait for durability), then a checkpoint if one is due. Waiters whose commit every
	 * replica now holds are released.
	 */
	private long syncAll(boolean force) throws LitestreamException {
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
		DatabaseMonitor m = this.monitor;
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
					.runDue(Instant.now(), this.listener);
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
	private long sleepMillis() {
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

	private <T> CompletableFuture<T> submit(Callable<T> work) {
		CompletableFuture<T> future = new CompletableFuture<>();
		if (!this.running) {
			future.completeExceptionally(new LitestreamException("replication of " + this.database.path()
					+ " is not running"));
			return future;
		}
		this.tasks.offer(() -> {
			try {
				future.complete(work.call());
			}
			catch (Exception ex) {
				future.completeExceptionally(ex);
			}
		});
		return future;
	}

	private <T> T await(CompletableFuture<T> future) {
		try {
			return future.get();
		}
		catch (ExecutionException ex) {
			Throwable cause = ex.getCause();
			if (cause instanceof LitestreamException le) {
				throw le;
			}
			throw new LitestreamException(cause.getMessage(), cause);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new LitestreamException("interrupted while waiting for replication of " + this.database.path(), ex);
		}
	}

	// ---- restore verification (RestoreVerifier) ----------------------------------------------------

	/**
	 * Runs {@code work} on the replication thread and waits for it, handing it the one thing only that
	 * thread may do: sync the database and ship to every replica in between its own steps (pinning a
	 * verification position: a read transaction begun between two syncs that end at the same position).
	 */
	public <T> T callWithForcedSyncs(Function<ForcedSync, T> work) {
		return callOnReplicationThread(() -> work.apply(() -> {
			if (Thread.currentThread() != this.thread) {
				throw new IllegalStateException("not on the replication thread of " + this.database.path());
			}
			syncAll(true);
			return this.database.position();
		}));
	}

	/** A forced sync, available to work running on the replication thread ({@link #callWithForcedSyncs}). */
	@FunctionalInterface
	public interface ForcedSync {

		/**
		 * Syncs the database and ships to every replica, failing if any replica cannot be brought to the
		 * local position.
		 * @return the local position every replica now holds
		 */
		Pos syncAll();

	}

	/** WAL bytes between a replica position and the local one (see {@link ShadowWalLag}). */
	public long lagBytes(Pos local, Pos replica) {
		return ShadowWalLag.bytes(this.database, local, replica);
	}


	@FunctionalInterface
	private interface Callable<T> {

		T call() throws Exception;

	}

}
