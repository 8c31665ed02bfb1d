package io.github.litestreamspring.engine;

import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.replica.ObservedReplicaClient;

/**
 * The single-writer guard of one {@link Replicator}: a {@link ReplicaLease} per replica, taken at
 * start, renewed and (while another instance holds it) polled by a daemon thread of its own, so that a
 * long snapshot upload on the replication thread never delays a renewal. Every write and delete of a
 * replica's objects passes {@link #checkWrite}, and every store request of one is bounded by the
 * lease's write deadline (see {@link ReplicaLease}); released at a graceful stop.
 */
final class ReplicaLeases {

	private static final Logger logger = LoggerFactory.getLogger(ReplicaLeases.class);

	/** Longest pause between two attempts to take a lease held by another instance. */
	private static final long MAX_POLL_MILLIS = 2_000;

	private final LeaseOptions options;

	private final String databaseName;

	private final Map<Replica, ReplicaLease> leases = new LinkedHashMap<>();

	private final Runnable onAcquired;

	/** When the lease thread last tried to take each lease held by another instance. */
	private final Map<ReplicaLease, Long> lastAttemptNanos = new ConcurrentHashMap<>();

	private ScheduledExecutorService thread;

	/**
	 * @param onAcquired called (on the lease thread) when a lease is taken after the start: wakes the
	 * replication thread
	 */
	ReplicaLeases(LeaseOptions options, String databaseName, Iterable<Replica> replicas, Runnable onAcquired) {
		this.options = options;
		this.databaseName = databaseName;
		this.onAcquired = onAcquired;
		// One owner id per start: a restarted replicator is a new writer.
		String owner = UUID.randomUUID().toString().replace("-", "").substring(0, 16);
		for (Replica replica : replicas) {
			this.leases.put(replica, new ReplicaLease(replica.client(), owner, options.ttl(),
					databaseName + ": replica '" + replica.name() + "'"));
		}
	}

	/**
	 * Tries every lease once, installs the write guards and starts the lease thread.
	 * @throws LitestreamException with {@link LeaseOptions.OnConflict#FAIL} when another live instance
	 * holds a replica path
	 */
	void start() {
		for (Map.Entry<Replica, ReplicaLease> e : this.leases.entrySet()) {
			ReplicaLease lease = e.getValue();
			try {
				if (!lease.tryAcquire()) {
					if (lease.unsafeStore() != null) {
						this.leases.values().forEach(ReplicaLease::release);
						throw new LitestreamException("replica '" + e.getKey().name() + "': " + lease.unsafeStore()
								+ "; not starting");
					}
					LeaseContent holder = lease.holder();
					// A lease whose holder's own expiry has passed is probably a crashed instance's: it is
					// taken over after one TTL unchanged, so failing would only make startup flaky.
					boolean live = holder == null || holder.expiresAt().isAfter(Instant.now());
					if (this.options.onConflict() == LeaseOptions.OnConflict.FAIL && live) {
						// Leases already taken on other replicas must not block anyone until they expire.
						this.leases.values().forEach(ReplicaLease::release);
						throw new LitestreamException("replica '" + e.getKey().name() + "' ("
								+ e.getKey().client().describe() + ") is held by another instance: "
								+ lease.refusal() + "; not starting (lease on-conflict policy: fail)");
					}
					logger.warn("{}: replica '{}': {}; uploads wait for it", this.databaseName, e.getKey().name(),
							lease.refusal());
				}
			}
			catch (IOException ex) {
				logger.warn("{}: replica '{}': cannot read the lease on {}, will retry: {}", this.databaseName,
						e.getKey().name(), e.getKey().client().describe(), ex.getMessage());
			}
		}
		for (Map.Entry<Replica, ReplicaLease> e : this.leases.entrySet()) {
			if (e.getKey().client() instanceof ObservedReplicaClient observed) {
				ReplicaLease lease = e.getValue();
				observed.setWriteGuard(new ObservedReplicaClient.WriteGuard() {

					@Override
					public void checkWrite() throws IOException {
						ReplicaLeases.checkWrite(lease);
					}

					@Override
					public long deadlineNanos() {
						return lease.writeDeadlineNanos();
					}

				});
			}
		}
		long tick = Math.max(50, Math.min(1_000, this.options.ttl().toMillis() / 10));
		this.thread = Executors.newSingleThreadScheduledExecutor((r) -> {
			Thread t = new Thread(r, "litestream-lease-" + this.databaseName);
			t.setDaemon(true);
			return t;
		});
		this.thread.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.MILLISECONDS);
	}

	/** Stops the lease thread; releases every held lease if {@code release} (nothing is writing any more). */
	void stop(boolean release) {
		if (this.thread != null) {
			this.thread.shutdownNow();
			try {
				this.thread.awaitTermination(10, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		for (Map.Entry<Replica, ReplicaLease> e : this.leases.entrySet()) {
			if (release) {
				e.getValue().release();
			}
			if (e.getKey().client() instanceof ObservedReplicaClient observed) {
				// Writes after a stop (e.g. a restore tool reusing the client) must not pass a dead guard;
				// they are refused until the next start.
				observed.setWriteGuard(() -> {
					throw new IOException("replication stopped: no lease on " + e.getKey().client().describe());
				});
			}
		}
	}

	/** Why {@code replica} may not be written now, or {@code null} if it may. */
	String refusal(Replica replica) {
		ReplicaLease lease = this.leases.get(replica);
		return (lease != null) ? lease.refusal() : null;
	}

	/** The lease's state and holder, which change far less often than the refusal's wording. */
	String refusalKind(Replica replica) {
		ReplicaLease lease = this.leases.get(replica);
		LeaseContent holder = lease.holder();
		return "lease " + lease.state() + " " + ((holder != null) ? holder.owner() : "");
	}

	ReplicaLease lease(Replica replica) {
		return this.leases.get(replica);
	}

	private static void checkWrite(ReplicaLease lease) throws IOException {
		String refusal = lease.refusal();
		if (refusal != null) {
			throw new IOException(refusal);
		}
	}

	private void tick() {
		long pollNanos = TimeUnit.MILLISECONDS.toNanos(Math.min(MAX_POLL_MILLIS, this.options.ttl().toMillis() / 3));
		for (Map.Entry<Replica, ReplicaLease> e : this.leases.entrySet()) {
			ReplicaLease lease = e.getValue();
			try {
				if (lease.state() == ReplicaLease.State.HELD) {
					if (lease.renewalDue()) {
						lease.renew();
					}
					continue;
				}
				long now = System.nanoTime();
				Long last = this.lastAttemptNanos.get(lease);
				if (last != null && now - last < pollNanos) {
					continue;
				}
				this.lastAttemptNanos.put(lease, now);
				if (lease.tryAcquire()) {
					this.onAcquired.run();
				}
			}
			catch (IOException | RuntimeException ex) {
				logger.debug("{}: replica '{}': lease call failed: {}", this.databaseName, e.getKey().name(),
						ex.getMessage());
			}
		}
	}

}
