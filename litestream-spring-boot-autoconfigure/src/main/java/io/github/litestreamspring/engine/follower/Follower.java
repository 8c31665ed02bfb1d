package io.github.litestreamspring.engine.follower;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.follower.FollowerCopy.Held;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestorePlan;
import io.github.litestreamspring.engine.restore.Restorer;

/**
 * A read replica: keeps a database up to date with a replica written by a primary elsewhere, and serves
 * it to readers with consistent, never-backwards reads.
 * <p>
 * Two copies of the database live in the follower directory; the application's database path is a
 * symbolic link to the one served (the <em>active</em> copy). A poll lists the replica
 * ({@link ReplicaWatch}: one listing, no download when nothing changed). When it moved, the <em>idle</em>
 * copy — proved unused first ({@link CopyAccess}), else the apply waits for the next poll — is brought from
 * the state it holds to the replica's end ({@link WalCatchUp}: the WAL checked frame by frame and applied
 * by SQLite's checkpoint on the closed file; a new generation, or WAL no longer in the replica, restores it
 * from scratch instead), fsynced, its position recorded, and the link switched to it atomically. New
 * connections then open the newer copy; a connection opened before keeps reading its copy, which nothing
 * changes while it is open. So every read sees a committed state of the primary, and a reader that starts
 * after a switch never sees an older one — provided the pool does not hand out a connection to the older
 * copy after a switch (the listener tells the pool; the Spring layer checks at hand-out).
 * <p>
 * The follower never writes to the replica ({@link FollowerReplicaClient} refuses it) and never takes the
 * lease. While the replica cannot be read it keeps serving the last state (its lag grows) and recovers by
 * itself.
 */
public final class Follower implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(Follower.class);

	private final FollowerOptions options;

	private final FollowerReplicaClient client;

	private final CopyLink link;

	private final FollowerCopy copyA;

	private final FollowerCopy copyB;

	private final ReplicaWatch watch;

	private final CopyUpdater updater;

	private final Object applyLock = new Object();

	private final AtomicLong switches = new AtomicLong();

	private volatile FollowerCopy active;

	private volatile Held served;

	private volatile FollowerListener listener = FollowerListener.NONE;

	private final Staleness staleness = new Staleness();

	private volatile Instant lastPoll;

	private volatile String lastError;

	private volatile boolean waitingForReaders;

	private volatile boolean detached;

	private Thread thread;

	public Follower(FollowerOptions options, ReplicaClient replica) {
		this.options = options;
		Path dir = options.followerDir();
		this.client = new FollowerReplicaClient(replica, dir.resolve("segments"));
		this.link = new CopyLink(options.database());
		this.copyA = new FollowerCopy(dir, "a");
		this.copyB = new FollowerCopy(dir, "b");
		this.watch = new ReplicaWatch(this.client);
		this.updater = new CopyUpdater(this.client, options);
	}

	public void setListener(FollowerListener listener) {
		this.listener = (listener != null) ? listener : FollowerListener.NONE;
	}

	public Path databasePath() {
		return this.options.database();
	}

	/** The replica followed (reads only). */
	public ReplicaClient replica() {
		return this.client.replica();
	}

	/**
	 * Before anything opens the database: brings a copy to the replica's latest state (the one served
	 * before, caught up, when it still belongs to the newest generation; else a restore) and links the
	 * database path to it. A regular file at the path is renamed aside, never deleted.
	 * @return the position served
	 * @throws LitestreamException when the replica cannot be read or holds no backup yet
	 */
	public synchronized Pos start() {
		Path db = this.options.database();
		try {
			Files.createDirectories(this.options.followerDir());
			Files.createDirectories(db.getParent());
			this.link.moveAsideRegularFile();
			FollowerCopy serving = this.copyB.file().equals(this.link.target()) ? this.copyB : this.copyA;
			for (FollowerCopy copy : List.of(this.copyA, this.copyB)) {
				if (!CopyAccess.unused(copy.file())) {
					throw new LitestreamException(copy.file() + " is open in another process; stop it, or give this "
							+ "follower a database path of its own");
				}
			}
			Optional<RestorePlan> latest = new Restorer(this.client).plan(RestoreOptions.latest(db));
			if (latest.isEmpty()) {
				throw new LitestreamException("the replica holds no backup yet; start the primary first (a follower "
						+ "serves only what a primary replicated)");
			}
			Held held = serving.held().orElse(null);
			serving.forget();
			Held now = null;
			if (held != null && held.position().generation().equals(latest.get().generation())) {
				now = this.updater.catchUp(serving, held,
						this.client.walSegments(held.position().generation(), held.position().index()));
			}
			if (now == null) {
				now = this.updater.restore(serving, null);
			}
			serving.record(now);
			other(serving).copyFrom(serving, now);
			this.link.pointTo(serving.file());
			this.active = serving;
			this.served = now;
			this.staleness.caughtUp(Instant.now());
			this.watch.knowGenerations(this.client.generations());
			logger.info("{}: following {}: serving generation {} at {} from {}", db, this.client.describe(),
					now.position().generation(), now.position(), serving.file());
			return now.position();
		}
		catch (IOException | SQLException | RuntimeException ex) {
			String message = (ex instanceof LitestreamException) ? ex.getMessage()
					: ex.getClass().getSimpleName() + ": " + ex.getMessage();
			throw new LitestreamException("cannot follow " + this.client.describe() + " at " + db + ": " + message, ex);
		}
	}

	/** Starts polling on a daemon thread of its own, every poll interval. */
	public synchronized void startPolling() {
		if (this.thread != null || this.active == null) {
			return;
		}
		Thread t = new Thread(this::run, "litestream-follower-" + this.options.database().getFileName());
		t.setDaemon(true);
		this.thread = t;
		t.start();
	}

	/** Stops polling (waits for a poll in progress); the copy served stays linked. */
	public synchronized void stop() {
		Thread t = this.thread;
		this.thread = null;
		if (t == null) {
			return;
		}
		t.interrupt();
		try {
			t.join(Duration.ofSeconds(30).toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public void close() {
		stop();
	}

	private void run() {
		while (!Thread.currentThread().isInterrupted() && this.thread == Thread.currentThread()) {
			try {
				pollOnce();
				Thread.sleep(this.options.pollInterval().toMillis());
			}
			catch (InterruptedException ex) {
				return;
			}
			catch (RuntimeException ex) {
				failed("poll", ex);
			}
		}
	}

	/**
	 * One poll: lists the replica and, when it moved, brings the idle copy forward and switches to it.
	 * @return whether the database path now links to a newer copy
	 */
	public boolean pollOnce() {
		synchronized (this.applyLock) {
			if (this.detached || this.active == null) {
				return false;
			}
			Instant listedAt = Instant.now();
			ReplicaWatch.Change change;
			try {
				change = this.watch.poll(this.served.position(), listFrom());
			}
			catch (IOException | RuntimeException ex) {
				failed("list", ex);
				return false;
			}
			this.lastPoll = listedAt;
			switch (change.kind()) {
				case NONE -> {
					recovered();
					this.staleness.caughtUp(listedAt);
					return false;
				}
				case WAL -> this.staleness.behindSince(change.oldestNew());
				case NEW_GENERATION -> logger.info("{}: a new generation appeared in {}; restoring it into the idle copy",
						this.options.database(), this.client.describe());
			}
			return apply(change, listedAt);
		}
	}

	/**
	 * The first WAL index a poll lists: the served one, or the idle copy's when it is behind in the same
	 * generation (it is brought forward from there) — so a poll's listing covers the current index or two,
	 * never the generation's whole history.
	 */
	private long listFrom() {
		Pos served = this.served.position();
		Held idle = other(this.active).held().orElse(null);
		if (idle != null && idle.position().generation().equals(served.generation())) {
			return Math.min(served.index(), idle.position().index());
		}
		return served.index();
	}

	private boolean apply(ReplicaWatch.Change change, Instant listedAt) {
		FollowerCopy idle = other(this.active);
		try {
			if (!CopyAccess.unused(idle.file())) {
				if (!this.waitingForReaders) {
					logger.info("{}: a connection still has {} open; the replica's new state is applied once it is "
							+ "closed (the lag grows meanwhile)", this.options.database(), idle.file());
				}
				this.waitingForReaders = true;
				return false;
			}
			this.waitingForReaders = false;
			Held before = idle.held().orElse(null);
			idle.forget();
			Held after = null;
			if (change.kind() == ReplicaWatch.Kind.WAL && before != null
					&& before.position().generation().equals(this.served.position().generation())) {
				after = this.updater.catchUp(idle, before, change.segments());
			}
			String fresh = (change.kind() == ReplicaWatch.Kind.NEW_GENERATION) ? this.updater.newest(change.fresh()) : null;
			if (after == null) {
				after = this.updater.restore(idle, (change.kind() == ReplicaWatch.Kind.WAL) ? this.served.position().generation() : fresh);
			}
			idle.record(after);
			if (!isForward(after, fresh)) {
				logger.warn("{}: {} was brought to {}, not past the {} served; not switching", this.options.database(),
						idle.file(), after.position(), this.served.position());
				recovered();
				return false;
			}
			this.link.pointTo(idle.file());
			FollowerCopy old = this.active;
			Held oldHeld = this.served;
			this.active = idle;
			this.served = after;
			this.switches.incrementAndGet();
			this.staleness.caughtUp(listedAt);
			recovered();
			logger.debug("{}: serving {} from {}", this.options.database(), after.position(), idle.file());
			boolean sameGeneration = oldHeld.position().generation().equals(after.position().generation());
			this.client.prune(after.position().generation(),
					sameGeneration ? oldHeld.position().index() : after.position().index());
			this.listener.switched(old.file(), idle.file(), after.position());
			return true;
		}
		catch (IOException | SQLException | RuntimeException ex) {
			if (change.kind() == ReplicaWatch.Kind.NEW_GENERATION) {
				this.watch.forget(change.fresh());
			}
			failed("apply", ex);
			return false;
		}
	}

	/**
	 * Same generation: further on. A generation that appeared after the served one ({@code fresh}): the
	 * one the primary writes now, whatever its objects' timestamps say (a new primary's clock may be
	 * behind). Any other generation: holding objects no older than the state served.
	 */
	private boolean isForward(Held candidate, String fresh) {
		Held current = this.served;
		if (candidate.position().generation().equals(current.position().generation())) {
			return candidate.position().compareTo(current.position()) > 0;
		}
		if (candidate.position().generation().equals(fresh)) {
			return true;
		}
		return !candidate.newestObject().isBefore(current.newestObject());
	}

	/**
	 * For a promotion, once every connection to the database is closed: stops polling and makes the
	 * active copy the database file itself (renamed over the link), removing the other copy and the
	 * segment cache. The follower is done afterwards.
	 * @return the exact position the file holds, for {@code Continuation.continueAt}
	 * @throws LitestreamException if a connection still has the copy open
	 */
	public Pos detachForPromotion() {
		stop();
		synchronized (this.applyLock) {
			if (this.detached) {
				throw new IllegalStateException("already promoted");
			}
			try {
				FollowerCopy served = this.active;
				if (!CopyAccess.unused(served.file())) {
					throw new LitestreamException("a connection still has " + served.file() + " open; close the pool's "
							+ "connections before promoting");
				}
				this.link.replaceWith(served.file());
				served.forget();
				other(served).delete();
				this.client.clear();
				this.detached = true;
				logger.info("{}: the follower's copy at {} is now the database file, for promotion",
						this.options.database(), this.served.position());
				return this.served.position();
			}
			catch (IOException | SQLException ex) {
				throw new LitestreamException("cannot promote " + this.options.database() + ": " + ex.getMessage(), ex);
			}
		}
	}

	/** The copy new connections open; {@code null} before {@link #start()}. */
	public Path activeCopy() {
		FollowerCopy copy = this.active;
		return (copy != null) ? copy.file() : null;
	}

	/** The exact replica position served. */
	public Pos position() {
		Held held = this.served;
		return (held != null) ? held.position() : Pos.NONE;
	}

	/** How stale the served state may be (see {@link FollowerStatus#lag()}). */
	public Duration lag() {
		return this.staleness.lag();
	}

	public FollowerStatus status() {
		return new FollowerStatus(this.options.database(), activeCopy(), position(), lag(), this.lastPoll,
				this.lastError, this.switches.get(), this.waitingForReaders);
	}

	private FollowerCopy other(FollowerCopy copy) {
		return (copy == this.copyA) ? this.copyB : this.copyA;
	}

	private void failed(String what, Exception ex) {
		String message = ex.getClass().getSimpleName() + ": " + ex.getMessage();
		if (this.lastError == null) {
			logger.warn("{}: cannot {} {} ({}); still serving {} (the lag grows until it works again)",
					this.options.database(), what, this.client.describe(), message, position());
		}
		this.lastError = "cannot " + what + " " + this.client.describe() + ": " + message;
	}

	private void recovered() {
		if (this.lastError != null) {
			logger.info("{}: following {} again, serving {}", this.options.database(), this.client.describe(),
					position());
			this.lastError = null;
		}
	}

}
