package io.github.litestreamspring.engine.replication;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;


import io.github.litestreamspring.engine.db.Database;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.lease.LeaseOptions;
import io.github.litestreamspring.engine.lease.LeaseStoreUnreachableException;
import io.github.litestreamspring.engine.lease.ReplicaLeases;
import io.github.litestreamspring.engine.lease.WriteGate;

/**
 * Replicates one SQLite database to its replicas: the engine's public face for the Spring layer and
 * for programs that embed it. The work is done by its parts: {@link ReplicationLoop} (the thread),
 * {@link ReplicationPass} (one pass), {@link ReplicationLifecycle} (start and stop),
 * {@link LeaseLifecycle} and {@link LeaseHandover} (the single-writer lease).
 * <p>
 * One named daemon thread per database runs every step (shadow WAL sync, checkpoints, uploads,
 * snapshots), so they never race each other. It wakes every {@code monitorInterval}, when
 * {@link #notifyChange()} signals a commit, and for {@link #syncNow()} / {@link #snapshotNow()}.
 * Errors are logged and recorded in {@link #status()}; the loop carries on and the next pass starts
 * over from what the replica really holds. {@link #stop()} runs a final sync so that a clean stop
 * loses nothing.
 */
public final class Replicator implements AutoCloseable {

	/** Default time commits are collected before one upload ships them together. */
	public static final Duration DEFAULT_COMMIT_WINDOW = Duration.ofMillis(2);

	/** Default bound of the current generation's local shadow WAL: 1 GiB. */
	public static final long DEFAULT_SHADOW_WAL_MAX_BYTES = 1024L * 1024 * 1024;

	private final Database database;

	private final List<Replica> replicas;

	private final Map<Replica, ReplicaState> replicaStates = new HashMap<>();

	private final DurableWaiters durableWaiters = new DurableWaiters();

	/** When each local position not yet in every replica was first seen: the replicas' lag. */
	private final UnshippedCommits unshipped = new UnshippedCommits();

	private final CommitSignals commits = new CommitSignals();

	/** One pass of the replication thread: copy, uploads, checkpoint, bound, maintenance. */
	private final ReplicationPass pass;

	/** The replication thread. */
	private final ReplicationLoop loop;

	private volatile ReplicationListener listener = ReplicationListener.NONE;

	/** Admits the application's write transactions; paused and closed by a lease hand-over. */
	private final WriteGate writeGate;

	/** Answers other instances' requests for the leases; keeps the write gate in step with them. */
	private final LeaseHandover handover;

	/** The single-writer leases, when enabled. */
	private final LeaseLifecycle leases;

	/** Start and stop: connections, leases, threads. */
	private final ReplicationLifecycle lifecycle;

	public Replicator(DatabaseOptions options, List<Replica> replicas) {
		this(options, replicas, DEFAULT_COMMIT_WINDOW);
	}

	/**
	 * @param commitWindow after a commit wakes the replication thread, how long it waits for more
	 * commits to ship in the same segment; zero ships at once
	 */
	public Replicator(DatabaseOptions options, List<Replica> replicas, Duration commitWindow) {
		commitWindow = (commitWindow != null) ? commitWindow : DEFAULT_COMMIT_WINDOW;
		this.database = new Database(options);
		this.writeGate = new WriteGate(String.valueOf(options.path()));
		this.replicas = List.copyOf(replicas);
		for (Replica replica : this.replicas) {
			this.replicaStates.put(replica, new ReplicaState());
		}
		ReplicaShipping shipping = new ReplicaShipping(this.database, this.replicas, this.replicaStates,
				() -> this.listener, this::currentLeases, this.unshipped);
		this.pass = new ReplicationPass(this.database, this.replicas, this.replicaStates, shipping,
				this.durableWaiters, this.commits, () -> this.listener, this::monitor);
		this.loop = new ReplicationLoop(this.database.path(), this.pass, this.commits, this.durableWaiters,
				commitWindow);
		this.handover = new LeaseHandover(this.database, this.replicas, this.replicaStates, this.writeGate,
				this::currentLeases, () -> this.pass.run(true));
		this.leases = new LeaseLifecycle(this.database, this.replicas, this.writeGate, this.handover, this.loop,
				this::notifyChange);
		this.loop.setAfterPass(new LeaseIdling(this.database, this.writeGate, this::currentLeases, this.handover)::afterPass);
		this.lifecycle = new ReplicationLifecycle(this.database, this.replicas, this.loop, this.pass, this.leases,
				this.handover, this.durableWaiters, this.unshipped);
	}

	private DatabaseMonitor monitor() {
		return this.lifecycle.monitor();
	}

	private ReplicaLeases currentLeases() {
		return this.leases.current();
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
	void requestLocalPass() {
		DatabaseMonitor m = monitor();
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
		this.pass.setShadowWalMaxBytes(maxBytes);
	}

	public long shadowWalMaxBytes() {
		return this.pass.shadowWalMaxBytes();
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
		this.leases.setOptions(leaseOptions);
	}

	/**
	 * The state of {@code replica}'s lease while replication runs with leases enabled: {@code "held"},
	 * {@code "waiting"} (another instance holds it), {@code "lost"} (it was ours and another instance
	 * took it) or {@code "new"} (not tried yet); {@code null} when leases are disabled or replication is
	 * stopped.
	 */
	public String leaseState(Replica replica) {
		return this.leases.state(replica);
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
		if (!this.leases.enabled() || this.loop.isRunning()) {
			return null;
		}
		return this.leases.acquire(timeout);
	}

	/** Whether the single-writer lease is on ({@link #setLeaseOptions}). */
	public boolean leasesEnabled() {
		return this.leases.enabled();
	}

	/** How long a hand-over waits for write transactions in flight to end before giving up (default 10 s). */
	public void setHandoverDrainTimeout(Duration timeout) {
		this.handover.setDrainTimeout(timeout);
	}

	/** Where this instance handed its leases over to another one, or {@code null}. */
	public Pos handedOverAt() {
		return this.handover.handedOverAt();
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
		this.lifecycle.start();
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
		this.lifecycle.stopReplicating(timeout);
	}

	/**
	 * Closes the engine's connections after {@link #stopReplicating(Duration)}; does nothing while
	 * replication runs or once closed.
	 */
	public synchronized void closeDatabase() {
		this.lifecycle.closeDatabase();
	}

	public void stop() {
		stop(Duration.ofSeconds(30));
	}

	@Override
	public void close() {
		stop();
	}

	public boolean isRunning() {
		return this.loop.isRunning();
	}

	/**
	 * Signals that the database may have changed (a commit): wakes the replication thread, which ships
	 * to every replica whose sync interval allows it. Cheap, never blocks; the Spring layer calls it from
	 * a commit listener on every pooled connection.
	 */
	public void notifyChange() {
		switch (this.commits.onCommit()) {
			case LOCAL_PASS -> {
				DatabaseMonitor m = monitor();
				if (m != null) {
					m.request();
				}
			}
			case PASS -> this.loop.wakeIfIdle();
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
		if (!this.loop.isRunning()) {
			throw new LitestreamException("replication of " + this.database.path() + " is not running");
		}
		return this.durableWaiters.await(timeout, this.loop::wake, this.database.path(), this.pass::replicaErrors);
	}

	/** Syncs the database and ships to every replica now; returns the local position afterwards. */
	public Pos syncNow() {
		return this.loop.await(this.loop.submit(() -> {
			this.pass.run(true);
			return this.database.position();
		}));
	}

	/** Takes a snapshot to every replica now; returns what was written. */
	public List<SnapshotInfo> snapshotNow() {
		return this.loop.await(this.loop.submit(() -> {
			this.pass.run(true);
			List<SnapshotInfo> written = new ArrayList<>();
			for (Replica replica : this.replicas) {
				written.add(replica.snapshot(this.database));
			}
			return written;
		}));
	}

	/** Runs {@code work} on the replication thread and waits for it (e.g. a consistent read of state). */
	public <T> T callOnReplicationThread(Supplier<T> work) {
		return this.loop.await(this.loop.submit(work::get));
	}

	public ReplicationStatus status() {
		return this.pass.status(this.loop.isRunning(), this.unshipped);
	}

	// ---- restore verification (RestoreVerifier) ----------------------------------------------------

	/**
	 * Runs {@code work} on the replication thread and waits for it, handing it the one thing only that
	 * thread may do: sync the database and ship to every replica in between its own steps (pinning a
	 * verification position: a read transaction begun between two syncs that end at the same position).
	 */
	public <T> T callWithForcedSyncs(Function<ForcedSync, T> work) {
		return callOnReplicationThread(() -> work.apply(() -> {
			if (!this.loop.onLoopThread()) {
				throw new IllegalStateException("not on the replication thread of " + this.database.path());
			}
			this.pass.run(true);
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

}
