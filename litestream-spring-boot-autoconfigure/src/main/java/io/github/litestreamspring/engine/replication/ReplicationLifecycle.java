package io.github.litestreamspring.engine.replication;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.db.Database;
import io.github.litestreamspring.engine.lease.ReplicaLeases;

/**
 * Starts and stops replication of one database ({@link Replicator#start()}, {@link Replicator#stop}):
 * the local state's lock and the engine's connections, the leases, the replication thread and the
 * database monitor, in that order, and back: a final sync (unless the leases were handed over or are
 * not ours), the thread's end, the leases' release, then the connections. Called under the
 * {@link Replicator}'s monitor.
 */
final class ReplicationLifecycle {

	/** Under Replicator's name, as before this class was split from it: the log category is unchanged. */
	private static final Logger logger = LoggerFactory.getLogger(Replicator.class);

	private final Database database;

	private final List<Replica> replicas;

	private final ReplicationLoop loop;

	private final ReplicationPass pass;

	private final LeaseLifecycle leases;

	private final LeaseHandover handover;

	private final DurableWaiters durableWaiters;

	private final UnshippedCommits unshipped;

	/** Runs local passes for a busy writer beside the replication thread; {@code null} while stopped. */
	private volatile DatabaseMonitor monitor;

	ReplicationLifecycle(Database database, List<Replica> replicas, ReplicationLoop loop, ReplicationPass pass,
			LeaseLifecycle leases, LeaseHandover handover, DurableWaiters durableWaiters, UnshippedCommits unshipped) {
		this.database = database;
		this.replicas = replicas;
		this.loop = loop;
		this.pass = pass;
		this.leases = leases;
		this.handover = handover;
		this.durableWaiters = durableWaiters;
		this.unshipped = unshipped;
	}

	/** The database monitor while replication runs, {@code null} otherwise. */
	DatabaseMonitor monitor() {
		return this.monitor;
	}

	void start() {
		if (this.loop.isRunning()) {
			return;
		}
		// After stopReplicating() without closeDatabase() the connections (and the lock) are still held.
		this.database.close();
		// First the local state's lock: a second replicator of the same database fails here, naming the first.
		this.database.open();
		if (this.leases.enabled()) {
			try {
				this.leases.start();
			}
			catch (RuntimeException ex) {
				this.database.close();
				throw ex;
			}
		}
		this.loop.start();
		DatabaseMonitor m = new DatabaseMonitor(this.database,
				() -> this.unshipped.seen(this.database.position(), System.nanoTime()));
		m.start();
		this.monitor = m;
		logger.info("{}: replication started to {}", this.database.path(),
				this.replicas.stream().map(r -> r.name() + "=" + r.client().describe()).toList());
	}

	void stopReplicating(Duration timeout) {
		if (!this.loop.isRunning()) {
			return;
		}
		long deadline = System.nanoTime() + timeout.toNanos();
		DatabaseMonitor m = this.monitor;
		this.monitor = null;
		if (m != null) {
			m.stop();
		}
		CompletableFuture<Void> done = this.loop.submit(() -> {
			ReplicaLeases guard = this.leases.current();
			if (this.handover.handedOverAt() != null) {
				return null; // shipped everything before handing over
			}
			if (guard != null && !guard.anyHeld()) {
				logger.warn("{}: stopping without the lease ({}): nothing can be shipped; commits made since the last "
						+ "upload are not in the replica", this.database.path(), guard.firstRefusal());
				return null;
			}
			this.pass.run(true);
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
		// One budget for the final sync and the thread's end, not one each.
		boolean ended = this.loop.end(Math.max(100, (deadline - System.nanoTime()) / 1_000_000));
		// Release only once nothing can write any more; a thread stuck in an upload lets it expire.
		this.leases.stop(ended);
		this.durableWaiters.failAll(new LitestreamException("replication of " + this.database.path() + " stopped"));
		logger.info("{}: replication stopped at {}", this.database.path(), this.database.position());
	}

	void closeDatabase() {
		if (this.loop.isRunning()) {
			return;
		}
		// Taken by acquireLeases() for a start that never came (the application failed to start):
		// release them rather than renew them for as long as the JVM lives.
		this.leases.stop(true);
		this.database.close();
	}

}
