package io.github.litestreamspring.lifecycle;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.follower.Follower;
import io.github.litestreamspring.engine.follower.FollowerStatus;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.restore.Continuation;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;

/**
 * A database's follower role ({@code litestream.role=follower}): the engine's {@link Follower}, the pools
 * that read its copies, and the promotion to primary.
 * <p>
 * Writes are refused by the database's write gate, closed for the role from the start (the pooled
 * connections already pass it, {@link GuardedConnections}). After each switch to a newer copy every pool
 * retires its connections ({@link FollowerPool#retireConnections()}), and every hand-out checks which copy
 * the connection reads: a connection that opened the older copy is evicted instead of handed out, so a
 * reader never starts on an older state than one already served.
 */
public class LitestreamFollower {

	private static final Logger logger = LoggerFactory.getLogger(LitestreamFollower.class);

	/** How long a promotion waits for the pools' connections to close. */
	private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

	private final LitestreamReplication replication;

	private final Follower follower;

	private final Duration maxLag;

	private final List<FollowerPool> pools = new CopyOnWriteArrayList<>();

	private volatile boolean following = true;

	/** Set while a promotion needs every connection closed: hand-outs and new connections wait. */
	private volatile boolean promoting;

	public LitestreamFollower(LitestreamReplication replication, Follower follower, Duration maxLag) {
		this.replication = replication;
		this.follower = follower;
		this.maxLag = maxLag;
		this.follower.setListener((from, to, position) -> this.pools.forEach(FollowerPool::retireConnections));
		replication.replicator().writeGate().close(refusal(replication.databasePath()));
	}

	static String refusal(Path database) {
		return database.getFileName() + " is a follower (litestream.role=follower), it serves reads of the replica; "
				+ "send writes to the primary, or promote this instance with POST /actuator/litestream/promote";
	}

	/** The engine's follower (its listener is this role's; tests replace it). */
	public Follower engine() {
		return this.follower;
	}

	/** Whether this database still follows (not promoted). */
	public boolean isFollowing() {
		return this.following;
	}

	public FollowerStatus status() {
		return this.follower.status();
	}

	/** {@code litestream.follower.max-lag}. */
	public Duration maxLag() {
		return this.maxLag;
	}

	/** Before any pool opens: brings a copy to the replica's latest state and links the database to it. */
	void startFollowing() {
		this.follower.start();
	}

	void startPolling() {
		this.follower.startPolling();
	}

	void stopPolling() {
		this.follower.stop();
	}

	/** A pool reading this database ({@code jdbc.FollowerDataSource}). */
	public void register(FollowerPool pool) {
		this.pools.add(pool);
	}

	/** The copy new connections must read; {@code null} once promoted. */
	public Path activeCopy() {
		return this.following ? this.follower.activeCopy() : null;
	}

	/** Waits (bounded) while a promotion closes every connection, so that none opens meanwhile. */
	public void awaitHandOuts() {
		long end = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
		while (this.promoting && System.nanoTime() < end) {
			try {
				Thread.sleep(10);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	/**
	 * Makes this follower the primary, with the guarantees of a hand-over: takes the lease (asking a live
	 * holder to hand over; a crashed one's after a TTL), closes every pooled connection, makes the active
	 * copy the database file, catches it up to the hand-over position (or the replica's end) and continues
	 * the generation from there ({@link Continuation}), then starts replicating and opens writes.
	 * @return where the generation continues
	 */
	public synchronized Pos promote() {
		if (!this.following) {
			throw new IllegalStateException(this.replication.databasePath() + " is already the primary");
		}
		Replicator replicator = this.replication.replicator();
		if (!replicator.leasesEnabled()) {
			throw new LitestreamException("cannot promote " + this.replication.databasePath() + " without the lease "
					+ "(litestream.lease.enabled=false): nothing would keep the old primary from writing too; enable it");
		}
		try {
			// Step 1: the lease, through the hand-over protocol.
			Pos handedOver = replicator.acquireLeases(this.replication.leaseAcquireTimeout());
			logger.info("{}: promoting the follower: lease taken{}", this.replication.databasePath(),
					(handedOver != null) ? ", handed over at " + handedOver : "");
			this.promoting = true;
			// Step 2: no connection may read the copy while it becomes the database file.
			Pos held = detachWhenClosed();
			// From here on the database is a regular file again: there is no way back to following.
			this.following = false;
			// Step 3: caught up and seeded as a clean stop there, so that replication continues the generation.
			Pos continued = continueGeneration(held, handedOver);
			replicator.start();
			logger.info("{}: promoted to primary, {}", this.replication.databasePath(), (continued != null)
					? "continuing generation " + continued.generation() + " from " + continued : "in a new generation");
			return (continued != null) ? continued : replicator.syncNow();
		}
		catch (RuntimeException ex) {
			if (!replicator.isRunning()) {
				// Gives back a lease taken (or being taken by the lease thread, after an unreachable store): an
				// instance that failed to promote must not keep the primary from writing.
				replicator.closeDatabase();
				replicator.writeGate().close(this.following ? refusal(this.replication.databasePath())
						: "the promotion of " + this.replication.databasePath() + " failed after the follower's copy "
								+ "became the database file (" + ex.getMessage() + "); restart this instance with "
								+ "litestream.role=primary, or as a follower again");
			}
			throw ex;
		}
		finally {
			this.promoting = false;
		}
	}

	private Pos detachWhenClosed() {
		long end = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
		while (true) {
			this.pools.forEach(FollowerPool::closeConnections);
			try {
				return this.follower.detachForPromotion();
			}
			catch (LitestreamException ex) {
				if (System.nanoTime() > end) {
					this.follower.startPolling();
					throw new LitestreamException(ex.getMessage() + " (waited " + CLOSE_TIMEOUT.toSeconds()
							+ " s for long reads to end; try again)", ex);
				}
			}
			try {
				Thread.sleep(50);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new LitestreamException("promotion of " + this.replication.databasePath() + " interrupted", ex);
			}
		}
	}

	/** @return where the generation continues, or {@code null} when a new one starts */
	private Pos continueGeneration(Pos held, Pos handedOver) {
		Path database = this.replication.databasePath();
		Path metaDir = this.replication.replicator().database().options().metaPath();
		ReplicaClient client = this.follower.replica();
		try {
			return Continuation.continueAt(client, database, metaDir, held, handedOver);
		}
		catch (LitestreamException ex) {
			logger.warn("{}: {}; restoring the replica's latest state", database, ex.getMessage());
		}
		RestoreResult again = new Restorer(client)
			.restore(new RestoreOptions(database, null, -1, null, RestoreOptions.DEFAULT_PARALLELISM, false, false, true));
		try {
			return Continuation.continueAt(client, database, metaDir, again.position(), null);
		}
		catch (LitestreamException ex) {
			logger.info("{}: {}; replication starts a new generation from the restored state", database,
					ex.getMessage());
			return null;
		}
	}

	/** A connection pool reading a follower's database (Hikari: {@code FollowerDataSource}). */
	public interface FollowerPool {

		/** After a switch: connections to the older copy are closed when idle or once returned. */
		void retireConnections();

		/** For a promotion: closes every connection (in use ones once returned). */
		void closeConnections();

	}

}
