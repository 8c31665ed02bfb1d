package io.github.litestreamspring.engine.lease;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease thread of one database ({@link ReplicaLeases}): a daemon of its own, so that a long
 * snapshot upload on the replication thread never delays a renewal. Each tick renews every held lease
 * that is due, notices a hand-over request in it (and calls the hand-over handler once per request),
 * and tries to take each lease held by another instance, at most every third of the TTL (2 s at most).
 */
final class LeaseRenewer {

	/** Under ReplicaLeases' name, as before this class was split from it: the log category is unchanged. */
	private static final Logger logger = LoggerFactory.getLogger(ReplicaLeases.class);

	/** Longest pause between two attempts to take a lease held by another instance. */
	private static final long MAX_POLL_MILLIS = 2_000;

	private final LeaseOptions options;

	private final String databaseName;

	private final Map<LeasedReplica, ReplicaLease> leases;

	private final Runnable onAcquired;

	private final Runnable onStateChange;

	/** When the lease thread last tried to take each lease held by another instance. */
	private final Map<ReplicaLease, Long> lastAttemptNanos = new ConcurrentHashMap<>();

	private ScheduledExecutorService thread;

	/** Called once (on the lease thread) with the requester's owner id when another instance asks for the leases. */
	private volatile Consumer<String> onHandoverRequested = (requester) -> {
	};

	/** Set once the hand-over handler was called, so that it runs once per request. */
	private volatile String handoverAnswered;

	/** After a failed hand-over, no request is answered before this {@link System#nanoTime()}. */
	private volatile long answerNotBeforeNanos = System.nanoTime();

	LeaseRenewer(LeaseOptions options, String databaseName, Map<LeasedReplica, ReplicaLease> leases,
			Runnable onAcquired, Runnable onStateChange) {
		this.options = options;
		this.databaseName = databaseName;
		this.leases = leases;
		this.onAcquired = onAcquired;
		this.onStateChange = onStateChange;
	}

	void setOnHandoverRequested(Consumer<String> handler) {
		this.onHandoverRequested = handler;
	}

	/** Answers no hand-over request for {@code backoff}, and the next one again even if it is the same. */
	void handoverFailed(Duration backoff) {
		this.answerNotBeforeNanos = System.nanoTime() + backoff.toNanos();
		this.handoverAnswered = null;
	}

	/** Whether the thread was started (it stays so after {@link #stop()}). */
	synchronized boolean started() {
		return this.thread != null;
	}

	synchronized void start() {
		if (this.thread != null) {
			return;
		}
		long tick = Math.max(50, Math.min(1_000, this.options.ttl().toMillis() / 10));
		this.thread = Executors.newSingleThreadScheduledExecutor((r) -> {
			Thread t = new Thread(r, "litestream-lease-" + this.databaseName);
			t.setDaemon(true);
			return t;
		});
		this.thread.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.MILLISECONDS);
	}

	/** Stops the thread, waiting up to 10 s for a tick in progress. */
	void stop() {
		if (this.thread != null) {
			this.thread.shutdownNow();
			try {
				this.thread.awaitTermination(10, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	/** A refusal without its figures (attempts, milliseconds): what changes when the cause does. */
	private static String kind(String refusal) {
		return (refusal != null) ? refusal.replaceAll("\\d+", "#") : "";
	}

	private void tick() {
		long pollNanos = TimeUnit.MILLISECONDS.toNanos(Math.min(MAX_POLL_MILLIS, this.options.ttl().toMillis() / 3));
		for (Map.Entry<LeasedReplica, ReplicaLease> e : this.leases.entrySet()) {
			ReplicaLease lease = e.getValue();
			LeaseState before = lease.state();
			try {
				if (before == LeaseState.HELD) {
					if (lease.renewalDue()) {
						lease.renew();
					}
					String requester = lease.handoverRequest();
					if (requester != null && !requester.equals(this.handoverAnswered)
							&& System.nanoTime() - this.answerNotBeforeNanos >= 0) {
						this.handoverAnswered = requester;
						this.onHandoverRequested.accept(requester);
					}
					if (lease.state() != before) {
						this.onStateChange.run();
					}
					continue;
				}
				long now = System.nanoTime();
				Long last = this.lastAttemptNanos.get(lease);
				if (last != null && now - last < pollNanos) {
					continue;
				}
				this.lastAttemptNanos.put(lease, now);
				String refusedBefore = (before == LeaseState.NEW) ? kind(lease.refusal()) : null;
				if (lease.tryAcquire()) {
					this.onAcquired.run();
				}
				// A lease not taken yet may change its reason without changing state (the store answers
				// again, but the replica holds writes this instance lacks): the gate says the latest one.
				if (lease.state() != before || (refusedBefore != null && !refusedBefore.equals(kind(lease.refusal())))) {
					this.onStateChange.run();
				}
			}
			catch (IOException | RuntimeException ex) {
				logger.debug("{}: replica '{}': lease call failed: {}", this.databaseName, e.getKey().name(),
						ex.getMessage());
			}
		}
	}

}
