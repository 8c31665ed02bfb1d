package io.github.litestreamspring.engine.lease;

import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.WriteGuard;

/**
 * The single-writer guard of one {@link Replicator}: a {@link ReplicaLease} per replica, taken at
 * start, renewed and (while another instance holds it) polled by a daemon thread of its own, so that a
 * long snapshot upload on the replication thread never delays a renewal. Every write and delete of a
 * replica's objects passes {@link #checkWrite}, and every store request of one is bounded by the
 * lease's write deadline (see {@link ReplicaLease}); released at a graceful stop.
 * <p>
 * A starting application takes its leases before its connection pool opens ({@link #acquire}), asking a
 * live holder to hand them over; the holder's lease thread notices the request at its next renewal and
 * calls the hand-over handler (the {@link Replicator}), which stops writes, ships everything and hands
 * each lease over with its final position ({@link #handOver}).
 * <p>
 * While the database does not change, the leases may be made idle ({@link #goIdle}): renewed rarely,
 * taken at once by a starting instance, and made active again before the next write to the database
 * (the {@link WriteGate}'s waker calls {@link #wake}) or to a replica (the write guard does).
 */
public final class ReplicaLeases {

	private static final Logger logger = LoggerFactory.getLogger(ReplicaLeases.class);

	private final LeaseOptions options;

	private final String databaseName;

	private final Map<LeasedReplica, ReplicaLease> leases = new LinkedHashMap<>();

	/** Renews, polls and notices hand-over requests on a thread of its own. */
	private final LeaseRenewer renewer;

	private volatile boolean acquireCalled;

	/** Called (on the lease thread) after a lease changed state, so that the write gate follows it. */
	private volatile Runnable onStateChange = () -> {
	};

	/**
	 * @param onAcquired called (on the lease thread) when a lease is taken after the start: wakes the
	 * replication thread
	 */
	public ReplicaLeases(LeaseOptions options, String databaseName, Iterable<? extends LeasedReplica> replicas, Runnable onAcquired) {
		this.options = options;
		this.databaseName = databaseName;
		// One owner id per start: a restarted replicator is a new writer.
		String owner = UUID.randomUUID().toString().replace("-", "").substring(0, 16);
		for (LeasedReplica replica : replicas) {
			this.leases.put(replica, new ReplicaLease(replica.client(), owner, options.ttl(),
					databaseName + ": replica '" + replica.name() + "'"));
		}
		this.renewer = new LeaseRenewer(options, databaseName, this.leases, onAcquired, () -> this.onStateChange.run());
	}

	/** See {@link ReplicaLease#setLocalState}. */
	public void setLocalState(String stateId, java.util.function.BooleanSupplier free) {
		this.leases.values().forEach((l) -> l.setLocalState(stateId, free));
	}

	public void setOnHandoverRequested(java.util.function.Consumer<String> handler) {
		this.renewer.setOnHandoverRequested(handler);
	}

	public void setOnStateChange(Runnable listener) {
		this.onStateChange = listener;
	}

	/** Whether taking back a lost or handed-over lease is safe now (see {@link ReplicaLease#setTakeBackAllowed}). */
	public void setTakeBackAllowed(java.util.function.Predicate<LeasedReplica> allowed) {
		this.leases.forEach((replica, lease) -> lease.setTakeBackAllowed(() -> allowed.test(replica)));
	}

	/** Whether every lease is ours and may be written. */
	public boolean allHeld() {
		return this.leases.values().stream().allMatch((l) -> l.state() == LeaseState.HELD);
	}

	/** How long the database must go without a change before the leases are made idle, or {@code null}: never. */
	public java.time.Duration idleAfter() {
		return this.options.idleAfter();
	}

	/** Whether some lease is idle (see {@link ReplicaLease#goIdle}). */
	public boolean idle() {
		return this.leases.values().stream().anyMatch(ReplicaLease::idle);
	}

	/**
	 * Makes every lease idle at the position {@code shipEverything} returns (it must stop new writes and
	 * ship all committed ones to every replica, or return {@code null} to give up). Runs under the
	 * monitor {@link #wake} takes, so a write that starts meanwhile waits for the leases to be idle and
	 * then makes them active again: the idle position is never behind a write.
	 * @return whether every lease is idle now; if not, none is
	 */
	public synchronized boolean goIdle(java.util.function.Supplier<io.github.litestreamspring.engine.Pos> shipEverything) {
		if (this.options.idleAfter() == null || !allHeld() || idle()
				|| this.leases.values().stream().anyMatch((l) -> l.handoverRequest() != null)) {
			return false;
		}
		io.github.litestreamspring.engine.Pos at = shipEverything.get();
		if (at == null) {
			return false;
		}
		java.util.List<ReplicaLease> done = new java.util.ArrayList<>();
		for (Map.Entry<LeasedReplica, ReplicaLease> e : this.leases.entrySet()) {
			try {
				if (!e.getValue().goIdle(at, this.options.idleTtl())) {
					break;
				}
				done.add(e.getValue());
			}
			catch (IOException | RuntimeException ex) {
				logger.debug("{}: replica '{}': lease not made idle: {}", this.databaseName, e.getKey().name(),
						ex.getMessage());
				break;
			}
		}
		if (done.size() == this.leases.size()) {
			return true;
		}
		try {
			wake();
		}
		catch (IOException ex) {
			// The write guard makes it active before the next upload.
			logger.debug("{}: idle lease not made active again: {}", this.databaseName, ex.getMessage());
		}
		return false;
	}

	/**
	 * Makes every idle lease active again, before a write. A lease a starting instance took meanwhile is
	 * lost: the write gate then closes (the state-change listener).
	 * @return whether every lease is held and active
	 * @throws IOException when the store cannot be reached; the leases stay idle
	 */
	public synchronized boolean wake() throws IOException {
		boolean all = true;
		boolean changed = false;
		for (ReplicaLease lease : this.leases.values()) {
			if (lease.idle()) {
				boolean active = lease.wake();
				all &= active;
				changed |= !active;
			}
			else {
				all &= lease.state() == LeaseState.HELD;
			}
		}
		if (changed) {
			this.onStateChange.run();
		}
		return all;
	}

	/** Whether at least one lease is ours. */
	public boolean anyHeld() {
		return this.leases.values().stream().anyMatch((l) -> l.state() == LeaseState.HELD);
	}

	/** Why the first replica that may not be written now may not, or {@code null} if every one may. */
	public String firstRefusal() {
		return this.leases.values().stream().map(ReplicaLease::refusal).filter(java.util.Objects::nonNull)
			.findFirst().orElse(null);
	}

	/** Whether some lease was handed over to, or lost to, another instance. */
	public String given() {
		for (ReplicaLease lease : this.leases.values()) {
			LeaseState state = lease.state();
			if (state == LeaseState.HANDED_OVER || state == LeaseState.LOST) {
				return lease.refusal();
			}
		}
		return null;
	}

	/**
	 * Takes every lease before the application may write, blocking: a free, released or expired lease is
	 * taken at once (an expired one after a TTL unchanged), a live holder is asked to hand it over. The
	 * lease thread runs from here on, so leases already taken are renewed while others are awaited.
	 * @return the final position a previous holder handed over with, or {@code null} (no hand-over)
	 * @throws LitestreamException when {@code timeout} passes first, naming the holder; or at once for a
	 * live holder with {@link LeaseOptions.OnConflict#FAIL}
	 */
	public io.github.litestreamspring.engine.Pos acquire(java.time.Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		this.leases.values().forEach((l) -> l.setAskForHandover(this.options.onConflict() == LeaseOptions.OnConflict.WAIT));
		this.renewer.start();
		this.acquireCalled = true;
		// While a start waits, the time it takes to notice a hand-over is time without a writer: look
		// often (a GET per look, for the few seconds a hand-over takes).
		long pollMillis = Math.max(50, Math.min(100, this.options.ttl().toMillis() / 10));
		long nextLog = System.nanoTime();
		// How long an unreachable store is waited for before the start goes on with writes refused.
		long unreachableGrace = TimeUnit.MILLISECONDS.toNanos(Math.max(1_000, Math.min(10_000, this.options.ttl().toMillis() / 3)));
		Long unreachableSince = null;
		while (true) {
			String waitingFor = null;
			boolean unreachable = false;
			for (Map.Entry<LeasedReplica, ReplicaLease> e : this.leases.entrySet()) {
				ReplicaLease lease = e.getValue();
				try {
					if (!lease.tryAcquire()) {
						refuseToStartIfBarred(e.getKey(), lease, () -> stop(true));
						waitingFor = "replica '" + e.getKey().name() + "': " + lease.refusal();
					}
				}
				catch (java.io.IOException ex) {
					waitingFor = "replica '" + e.getKey().name() + "': cannot read the lease on "
							+ e.getKey().client().describe() + ": " + ex.getMessage();
					unreachable = true;
				}
			}
			unreachableSince = unreachable ? ((unreachableSince != null) ? unreachableSince : System.nanoTime()) : null;
			if (unreachableSince != null && System.nanoTime() - unreachableSince >= unreachableGrace) {
				installGuards();
				this.leases.values().forEach((l) -> {
					l.setCheckContinuityOnTake(true);
					// A live database cannot be caught up to a holder's final position: asking one to hand
					// over would only stop its writes. Such a lease is taken when free or expired.
					l.setAskForHandover(false);
				});
				throw new LeaseStoreUnreachableException(waitingFor);
			}
			if (waitingFor == null) {
				installGuards();
				io.github.litestreamspring.engine.Pos handedOver = null;
				for (ReplicaLease lease : this.leases.values()) {
					LeaseContent given = lease.handedOverToUs();
					if (given != null && given.position() != null) {
						handedOver = given.position();
					}
				}
				return handedOver;
			}
			if (System.nanoTime() - deadline >= 0) {
				stop(true);
				throw new LitestreamException("the lease was not ours within " + timeout + ": " + waitingFor
						+ "; the holder neither handed it over nor let it expire (raise litestream.lease.acquire-timeout, "
						+ "or stop the other instance)");
			}
			if (System.nanoTime() - nextLog >= 0) {
				logger.info("{}: waiting for the lease before opening the database for writes: {}", this.databaseName,
						waitingFor);
				nextLog = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
			}
			try {
				Thread.sleep(pollMillis);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				stop(true);
				throw new LitestreamException("interrupted while waiting for the lease of " + this.databaseName, ex);
			}
		}
	}

	/**
	 * Whether {@link #acquire} ran: the application's writes then depend on the leases, and a lease
	 * taken later by the lease thread (after a start with the store unreachable) opens them only while
	 * the replica ends within this instance's history (see {@link ReplicaLease#setTakeBackAllowed}).
	 */
	boolean acquireCalled() {
		return this.acquireCalled;
	}

	/** Whether {@link #acquire} ran (the lease thread runs). */
	public boolean started() {
		return this.renewer.started();
	}

	/**
	 * Hands every lease another instance asked for over to it with {@code position}; a lease nobody asked
	 * for (or whose hand-over failed) is released, so that the new owner takes it at once.
	 * @return whether at least one lease was handed over (this instance must not write any more)
	 */
	public boolean handOver(io.github.litestreamspring.engine.Pos position) {
		boolean any = false;
		for (Map.Entry<LeasedReplica, ReplicaLease> e : this.leases.entrySet()) {
			try {
				any |= e.getValue().handOver(position);
			}
			catch (java.io.IOException | RuntimeException ex) {
				logger.warn("{}: replica '{}': cannot hand the lease over: {}", this.databaseName, e.getKey().name(),
						ex.getMessage());
			}
		}
		if (any) {
			for (ReplicaLease lease : this.leases.values()) {
				lease.releaseForHandover();
			}
		}
		this.onStateChange.run();
		return any;
	}

	/**
	 * After a hand-over that could not be done: forgets the request (the next renewal drops it from the
	 * lease, so a requester still waiting asks again) and answers none for {@code backoff}, so that a
	 * write transaction that outlasts every attempt does not keep writes paused.
	 */
	public void handoverFailed(java.time.Duration backoff) {
		this.leases.values().forEach(ReplicaLease::forgetHandoverRequest);
		this.renewer.handoverFailed(backoff);
	}

	/**
	 * Tries every lease once, installs the write guards and starts the lease thread.
	 * @throws LitestreamException with {@link LeaseOptions.OnConflict#FAIL} when another live instance
	 * holds a replica path
	 */
	public void start() {
		for (Map.Entry<LeasedReplica, ReplicaLease> e : this.leases.entrySet()) {
			ReplicaLease lease = e.getValue();
			try {
				if (!lease.tryAcquire()) {
					refuseToStartIfBarred(e.getKey(), lease, () -> this.leases.values().forEach(ReplicaLease::release));
					logger.warn("{}: replica '{}': {}; uploads wait for it", this.databaseName, e.getKey().name(),
							lease.refusal());
				}
			}
			catch (IOException ex) {
				logger.warn("{}: replica '{}': cannot read the lease on {}, will retry: {}", this.databaseName,
						e.getKey().name(), e.getKey().client().describe(), ex.getMessage());
			}
		}
		installGuards();
		this.renewer.start();
	}

	/**
	 * Fails the start when {@code lease} could not be taken for good: the store ignores conditional
	 * writes, or a live instance holds it and the policy is {@link LeaseOptions.OnConflict#FAIL}. Leases
	 * already taken on other replicas are given up first ({@code releaseAll}), so that they block nobody
	 * until they expire.
	 */
	private void refuseToStartIfBarred(LeasedReplica replica, ReplicaLease lease, Runnable releaseAll) {
		if (lease.unsafeStore() != null) {
			releaseAll.run();
			throw new LitestreamException("replica '" + replica.name() + "': " + lease.unsafeStore() + "; not starting");
		}
		LeaseContent holder = lease.holder();
		// A lease whose holder's own expiry has passed is probably a crashed instance's: it is taken over
		// after one TTL unchanged, so failing would only make startup flaky.
		boolean live = holder == null || holder.expiresAt().isAfter(Instant.now());
		if (this.options.onConflict() == LeaseOptions.OnConflict.FAIL && live) {
			releaseAll.run();
			throw new LitestreamException("replica '" + replica.name() + "' (" + replica.client().describe()
					+ ") is held by another instance: " + lease.refusal() + "; not starting (lease on-conflict policy: fail)");
		}
	}

	private void installGuards() {
		for (Map.Entry<LeasedReplica, ReplicaLease> e : this.leases.entrySet()) {
			ReplicaLease lease = e.getValue();
			e.getKey().setWriteGuard(new WriteGuard() {

				@Override
				public void checkWrite() throws IOException {
					ReplicaLeases.this.checkWrite(lease);
				}

				@Override
				public long deadlineNanos() {
					return lease.writeDeadlineNanos();
				}

			});
		}
	}

	/** Stops the lease thread; releases every held lease if {@code release} (nothing is writing any more). */
	public void stop(boolean release) {
		this.renewer.stop();
		for (Map.Entry<LeasedReplica, ReplicaLease> e : this.leases.entrySet()) {
			if (release) {
				e.getValue().release();
			}
			// Writes after a stop (e.g. a restore tool reusing the client) must not pass a dead guard;
			// they are refused until the next start.
			e.getKey().setWriteGuard(() -> {
				throw new IOException("replication stopped: no lease on " + e.getKey().client().describe());
			});
		}
	}

	/** Why {@code replica} may not be written now, or {@code null} if it may. */
	public String refusal(LeasedReplica replica) {
		ReplicaLease lease = this.leases.get(replica);
		return (lease != null) ? lease.refusal() : null;
	}

	/** The lease's state and holder, which change far less often than the refusal's wording. */
	public String refusalKind(LeasedReplica replica) {
		ReplicaLease lease = this.leases.get(replica);
		LeaseContent holder = lease.holder();
		return "lease " + lease.state() + " " + ((holder != null) ? holder.owner() : "");
	}

	public ReplicaLease lease(LeasedReplica replica) {
		return this.leases.get(replica);
	}

	private void checkWrite(ReplicaLease lease) throws IOException {
		if (lease.idle()) {
			wake();
		}
		String refusal = lease.refusal();
		if (refusal != null) {
			throw new IOException(refusal);
		}
		if (!lease.mayWrite()) {
			throw new IOException("the lease on " + lease.label() + " is idle and could not be made active");
		}
	}

}
