package io.github.litestreamspring.engine.lease;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.LeaseObject;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;

/**
 * The single-writer lease of one replica path, held by one {@link Replicator}.
 * <p>
 * The lease is the object {@code <root>/lease.json}, changed only by compare-and-swap: created if
 * absent, replaced only while its version tag is the one last seen. Liveness does not trust clocks:
 * <ul>
 * <li>the holder writes only while its last successful renewal <em>started</em> less than 3/4 of the
 * TTL ago (by its own monotonic clock), and renews every third of the TTL;</li>
 * <li>another instance takes the lease over only after it has seen the same version of it, unchanged,
 * for a whole TTL (by its own monotonic clock), or at once when the holder released it.</li>
 * </ul>
 * So a holder that stops renewing stops writing before anyone else may start, whatever the wall
 * clocks say. A renewal refused because the version changed means the lease was lost: writing stops at
 * once.
 * <p>
 * Every write request is also bounded by the write deadline, 7/8 TTL after the last renewal started
 * (the write fence, see {@link LeaseClock}).
 * <p>
 * <b>Hand-over.</b> A starting instance may ask a live holder for the lease, and the holder hands it
 * over with its final position ({@link HandoverProtocol}).
 * <p>
 * <b>Idle.</b> A holder whose database has not changed for a while writes its lease as idle, with the
 * position it shipped to every replica ({@link #goIdle}), and renews it every third of the longer idle
 * TTL only. It promises to start no write, to the database or to the replica, before it has made the
 * lease active again by compare-and-swap ({@link #wake}). So an instance that would ask for a hand-over
 * takes an idle lease at once instead, as if handed over at that position, and the holder's next write
 * finds the lease gone and is refused. An idle lease costs a request every 100 s instead of every
 * 10 s, without slowing a hand-over.
 * <p>
 * Thread-safe: renewals run on the lease thread (without holding this object's monitor during the
 * request, so that checks on the replication thread never wait for a slow renewal), checks on the
 * replication thread.
 */
public final class ReplicaLease {

	private static final Logger logger = LoggerFactory.getLogger(ReplicaLease.class);

	private final LeaseStore store;

	/** When another instance's lease may be taken over. */
	private final LeaseTakeover takeover = new LeaseTakeover();

	private final String owner;

	private final Duration ttl;

	private final String location;

	/** Names the database and the replica in log lines, e.g. {@code app.db: replica 's3'}. */
	private final String label;

	private LeaseState state = LeaseState.NEW;

	private String etag;

	private Instant acquiredAt;

	/** When the last renewal started: whether writes may start, their deadline, the next renewal. */
	private final LeaseClock clock;

	private LeaseContent holder;

	private String lastError;

	/** Whether the store was found to honour conditional writes (asked once, before the first take). */
	private boolean probed;

	/** Set when the store ignores conditional writes: the lease is never taken, nothing is written. */
	private String unsafeStore;

	/**
	 * Whether taking the lease at all (not only back) needs {@link #setTakeBackAllowed}'s check: set for
	 * an application that started with writes refused because the store was unreachable.
	 */
	private boolean checkContinuityOnTake;

	/** Asking a holder for the lease, answering such a request, and what was handed over. */
	private final HandoverProtocol handover;

	/** Whether, and where, the held lease is idle. */
	private final IdleLease idle;

	/**
	 * After the lease was lost or handed over: whether taking it back is safe now (the replica still ends
	 * where this instance left it). Asked just before the compare-and-swap that would take it back.
	 */
	private java.util.function.BooleanSupplier takeBackAllowed = () -> true;

	ReplicaLease(ReplicaClient client, String owner, Duration ttl, String label) {
		this.store = new LeaseStore(client);
		this.owner = owner;
		this.ttl = ttl;
		this.clock = new LeaseClock(ttl);
		this.location = client.describe() + "/" + ReplicaClient.LEASE_NAME;
		this.label = label;
		this.handover = new HandoverProtocol(this.store, owner, ttl, label, this.location);
		this.idle = new IdleLease(this.store, owner, label, this.location);
	}

	String owner() {
		return this.owner;
	}

	String label() {
		return this.label;
	}

	public synchronized LeaseState state() {
		return this.state;
	}

	/** Why the store cannot hold a lease (it ignores conditional writes), or {@code null}. */
	synchronized String unsafeStore() {
		return this.unsafeStore;
	}

	/**
	 * Names this process's local state directory in the lease, and lets {@link #tryAcquire} recognise a
	 * dead predecessor on it: a lease naming the same directory, written on this host, while nobody
	 * holds the directory's lock (every replicating process holds it; the OS frees it at death).
	 */
	synchronized void setLocalState(String stateId, java.util.function.BooleanSupplier free) {
		this.takeover.setLocalState(stateId, free);
	}

	synchronized void setCheckContinuityOnTake(boolean check) {
		this.checkContinuityOnTake = check;
	}

	synchronized void setAskForHandover(boolean ask) {
		this.handover.setAsk(ask);
	}

	synchronized void setTakeBackAllowed(java.util.function.BooleanSupplier allowed) {
		this.takeBackAllowed = allowed;
	}

	/** Holder side: the owner id of the instance that asked for the lease, or {@code null}. */
	synchronized String handoverRequest() {
		return (this.state == LeaseState.HELD) ? this.handover.request() : null;
	}

	/** Holder side: drops a request that could not be answered; a requester still waiting asks again. */
	synchronized void forgetHandoverRequest() {
		this.handover.forgetRequest();
	}

	/** New owner's side: the lease as handed over to us (previous owner, final position), or {@code null}. */
	synchronized LeaseContent handedOverToUs() {
		return this.handover.handedOverToUs();
	}

	/** The other instance's lease as last read, or {@code null}. */
	synchronized LeaseContent holder() {
		return this.holder;
	}

	/**
	 * Takes the lease if it is free, released, ours already, or has not changed for a whole TTL.
	 * @return whether we hold it now
	 */
	synchronized boolean tryAcquire() throws IOException {
		if (this.state == LeaseState.HELD) {
			return true;
		}
		if (this.unsafeStore != null) {
			return false;
		}
		try {
			if (!this.probed) {
				this.unsafeStore = this.store.whyUnsafe();
				if (this.unsafeStore != null) {
					logger.error("{}: {}", this.label, this.unsafeStore);
					return false;
				}
				this.probed = true;
			}
			Optional<LeaseObject> current = this.store.read();
			long started = System.nanoTime();
			Instant now = Instant.now();
			if (current.isEmpty()) {
				byte[] content = ours(now, now, false).toBytes();
				return won(this.store.create(content), started, now);
			}
			LeaseObject lease = current.get();
			LeaseContent other = LeaseContent.parse(lease.content());
			boolean free = other != null && (other.released() || this.owner.equals(other.owner()));
			long holderTtl = (other != null) ? other.ttlMillis() : this.ttl.toMillis();
			// An idle holder writes nothing before it has made its lease active again by compare-and-swap:
			// a starting instance takes the lease at once, as if handed over at the idle position.
			boolean fromIdle = !free && other != null && other.idle() && other.position() != null
					&& this.handover.asks();
			free |= fromIdle;
			if (!free && this.takeover.deadPredecessor(other)) {
				// A crash restarted on the same disk need not wait a TTL for its own dead lease.
				logger.warn("{}: the lease on {} was held by {}, a previous process on this host and local state "
						+ "that is gone (the state's lock is free); taking it over at once", this.label, this.location,
						other.describe());
				free = true;
			}
			if (!free && !this.takeover.unchangedForTtl(lease.etag(), holderTtl)) {
				this.holder = other;
				boolean ours = this.state == LeaseState.LOST || this.state == LeaseState.HANDED_OVER;
				this.state = ours ? this.state : LeaseState.WAITING;
				this.lastError = null;
				if (this.state == LeaseState.WAITING) {
					this.handover.askIfWanted(lease, other, this.takeover);
				}
				return false;
			}
			if ((this.state == LeaseState.LOST || this.state == LeaseState.HANDED_OVER || this.checkContinuityOnTake)
					&& !this.takeBackAllowed.getAsBoolean()) {
				this.lastError = "the replica holds writes this instance's database lacks (another instance wrote); "
						+ "restart this instance to restore them";
				return false;
			}
			LeaseContent mine = fromIdle ? ours(now, now, false).takenFrom(other) : ours(now, now, false);
			byte[] content = mine.toBytes();
			if (!free) {
				this.holder = other;
				logger.warn("{}: taking over the lease on {} of {}, unchanged for {}", this.label, this.location,
						describeHolder(), Duration.ofMillis(holderTtl));
			}
			boolean handedOver = free && this.owner.equals(other.owner()) && other.handedOverFrom() != null;
			boolean taken = won(this.store.replace(lease.etag(), content), started, now);
			if (taken && handedOver) {
				this.handover.receivedFrom(other);
			}
			else if (taken && fromIdle) {
				this.handover.receivedFrom(mine);
			}
			return taken;
		}
		catch (IOException | RuntimeException ex) {
			this.lastError = ex.getMessage();
			throw ex;
		}
	}

	/**
	 * Renews a held lease; on a refused renewal the lease is lost. The request runs without this
	 * object's monitor: a slow renewal must not hold up the write checks, which then see the lease age.
	 */
	void renew() throws IOException {
		String currentEtag;
		Instant acquired;
		Pos idle;
		Duration ttlWritten;
		synchronized (this) {
			if (this.state != LeaseState.HELD) {
				return;
			}
			currentEtag = this.etag;
			acquired = this.acquiredAt;
			idle = this.idle.at();
			ttlWritten = (idle != null) ? this.idle.ttl() : this.ttl;
		}
		long started = System.nanoTime();
		LeaseContent renewal = ours(acquired, Instant.now(), false, ttlWritten);
		byte[] content = ((idle != null) ? renewal.idleAt(idle) : renewal).toBytes();
		try {
			String newEtag = this.store.replace(currentEtag, content);
			LeaseContent other = null;
			String requester = null;
			if (newEtag == null) {
				Optional<LeaseObject> now = this.store.read();
				other = now.map((l) -> LeaseContent.parse(l.content())).orElse(null);
				if (other != null && this.owner.equals(other.owner()) && !other.released() && other.handoverTo() != null) {
					// Still ours: another instance asked for it. Renew on top of its request, and answer it.
					requester = other.handoverTo();
					started = System.nanoTime();
					byte[] renewed = ours(acquired, Instant.now(), false, ttlWritten)
						.withHandoverTo(requester).toBytes();
					newEtag = this.store.replace(now.get().etag(), renewed);
					if (newEtag == null) {
						other = this.store.readContent();
					}
				}
			}
			synchronized (this) {
				if (this.state != LeaseState.HELD || !currentEtag.equals(this.etag)) {
					return; // released meanwhile
				}
				if (newEtag == null) {
					lost(other);
					return;
				}
				boolean wasExpired = this.idle.at() == null && !mayWrite();
				this.etag = newEtag;
				this.clock.renewed(started, ttlWritten);
				this.lastError = null;
				if (requester != null) {
					this.handover.requested(requester);
				}
				if (wasExpired) {
					logger.info("{}: lease on {} renewed again (owner {}); writes resume", this.label, this.location,
							this.owner);
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			synchronized (this) {
				this.lastError = ex.getMessage();
			}
			throw ex;
		}
	}

	/**
	 * Makes a held lease idle at {@code at}: everything committed is in every replica, and this instance
	 * starts no write before {@link #wake()}. Holds the monitor for the request, as {@link #wake()} does.
	 * @return whether the lease is idle now; {@code false} if it is not held, a hand-over was asked for,
	 * or the lease changed meanwhile (the next renewal finds out why)
	 */
	synchronized boolean goIdle(Pos at, Duration ttlWhileIdle) throws IOException {
		if (this.state != LeaseState.HELD || this.idle.at() != null || this.handover.request() != null) {
			return idle();
		}
		long started = System.nanoTime();
		String newEtag = this.idle.enter(this.etag, ours(this.acquiredAt, Instant.now(), false, ttlWhileIdle), at,
				ttlWhileIdle);
		if (newEtag != null) {
			this.etag = newEtag;
			this.clock.renewed(started, ttlWhileIdle);
		}
		return newEtag != null;
	}

	/**
	 * Makes an idle lease active again before a write (a compare-and-swap on the idle lease): if a
	 * starting instance took it meanwhile, the lease is lost and this instance must not write.
	 * @return whether the lease is held and active now
	 */
	synchronized boolean wake() throws IOException {
		if (!idle()) {
			return this.state == LeaseState.HELD;
		}
		long started = System.nanoTime();
		IdleLease.Woken woken = this.idle.wake(this.etag, ours(this.acquiredAt, Instant.now(), false));
		if (woken.active()) {
			this.etag = woken.etag();
			this.clock.renewed(started, this.ttl);
			return true;
		}
		if (woken.etag() == null) {
			lost(woken.holder());
		}
		else {
			// Still ours and idle: the next renewal must build on the version our own renewal wrote.
			this.etag = woken.etag();
		}
		return false;
	}

	/** Whether the lease is held and idle (see {@link #goIdle}). */
	synchronized boolean idle() {
		return this.state == LeaseState.HELD && this.idle.at() != null;
	}

	private void lost(LeaseContent other) {
		Pos wasIdleAt = this.idle.at();
		this.holder = other;
		this.state = LeaseState.LOST;
		this.etag = null;
		this.idle.clear();
		if (wasIdleAt != null) {
			// Expected on a deploy: a starting instance took the idle lease instead of asking for it.
			logger.error("{}: lease on {} taken by {} while this instance was idle at {}; this instance writes no more",
					this.label, this.location, describeHolder(), wasIdleAt);
		}
		else {
			logger.error("{}: lease on {} lost to {}; not writing to this replica until it is free again", this.label,
					this.location, describeHolder());
		}
	}

	/**
	 * Hands a held lease to the instance that asked for it, with {@code position}: everything this
	 * instance committed, already in the replica. Called once writes have stopped; holds the monitor so
	 * that a renewal finishing meanwhile never mistakes the new owner for a thief.
	 * @return whether the lease is the new owner's now
	 */
	synchronized boolean handOver(Pos position) throws IOException {
		if (this.state != LeaseState.HELD || this.handover.request() == null) {
			return false;
		}
		LeaseContent given = this.handover.giveTo(position, this.acquiredAt);
		if (given == null) {
			return false;
		}
		this.state = LeaseState.HANDED_OVER;
		this.holder = given;
		this.etag = null;
		this.takeover.forget();
		return true;
	}

	/** Marks a held lease released (a conditional overwrite), so that a waiting instance takes it at once. */
	synchronized void release() {
		release(LeaseState.NEW);
	}

	/**
	 * Releases a held lease as part of a hand-over: this instance stopped writing, and takes the lease
	 * back only as a taker-back would (see {@link #setTakeBackAllowed}).
	 */
	synchronized void releaseForHandover() {
		if (this.state == LeaseState.HELD) {
			release(LeaseState.HANDED_OVER);
		}
	}

	private void release(LeaseState after) {
		if (this.state != LeaseState.HELD) {
			return;
		}
		Instant now = Instant.now();
		try {
			byte[] content = ours(this.acquiredAt, now, true).toBytes();
			if (this.store.replace(this.etag, content) != null) {
				logger.info("{}: lease released", this.location);
			}
		}
		catch (IOException | RuntimeException ex) {
			// It expires by itself after one TTL.
			logger.warn("{}: cannot release the lease, it expires within {}: {}", this.location, this.ttl,
					ex.getMessage());
		}
		this.state = after;
		this.etag = null;
		this.idle.clear();
	}

	/** Whether the replica may be written now: held, and renewed recently enough. */
	synchronized boolean mayWrite() {
		return this.state == LeaseState.HELD && this.idle.at() == null && this.clock.writable();
	}

	/**
	 * The {@link System#nanoTime()} by which every write request must have ended: 7/8 TTL after the last
	 * successful renewal started (see the class comment for the margins); in the past when not held.
	 */
	synchronized long writeDeadlineNanos() {
		return (this.state == LeaseState.HELD) ? this.clock.writeDeadlineNanos() : System.nanoTime() - 1;
	}

	/** Whether it is time to renew (a third of the TTL since the last renewal started). */
	synchronized boolean renewalDue() {
		return this.state == LeaseState.HELD && this.clock.renewalDue();
	}

	/** Why the replica may not be written now, or {@code null} if it may. */
	synchronized String refusal() {
		if (mayWrite() || idle()) {
			// An idle lease is made active by the write itself (see ReplicaLeases' write guard).
			return null;
		}
		if (this.unsafeStore != null) {
			return this.unsafeStore;
		}
		return LeaseRefusal.describe(this.state, this.location, describeHolder(), this.owner,
				this.handover.handedOver(), this.clock.sinceRenewal(), this.lastError);
	}

	private String describeHolder() {
		return (this.holder != null) ? this.holder.describe() : "an unknown writer (unreadable lease object)";
	}

	private boolean won(String newEtag, long started, Instant now) {
		if (newEtag == null) {
			// Another instance was faster; look again on the next attempt.
			this.takeover.forget();
			return false;
		}
		boolean wasLost = this.state == LeaseState.LOST || this.state == LeaseState.HANDED_OVER;
		this.state = LeaseState.HELD;
		this.handover.forgetRequest();
		this.etag = newEtag;
		this.idle.clear();
		this.acquiredAt = now;
		this.clock.renewed(started, this.ttl);
		this.holder = null;
		this.lastError = null;
		logger.info("{}: lease acquired{} (ttl {})", this.location, wasLost ? " again" : "", this.ttl);
		return true;
	}

	/** Our lease content, naming our local state. */
	private LeaseContent ours(Instant acquired, Instant now, boolean released) {
		return ours(acquired, now, released, this.ttl);
	}

	private LeaseContent ours(Instant acquired, Instant now, boolean released, Duration ttlWritten) {
		return LeaseContent.of(this.owner, acquired, now, ttlWritten, released).withState(this.takeover.stateId());
	}

}
