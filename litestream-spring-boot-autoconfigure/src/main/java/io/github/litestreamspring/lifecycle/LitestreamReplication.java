package io.github.litestreamspring.lifecycle;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicationListener;
import io.github.litestreamspring.engine.replication.ReplicationStatus;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.lease.WriteGate;
import io.github.litestreamspring.engine.db.DatabaseOptions;

/**
 * Runs replication of the application's database for the lifetime of the context: starts once every
 * singleton (the DataSource included) is ready, before the web server takes traffic, and stops after
 * the web server has drained, with a final sync, before the DataSource closes. The engine's own
 * connections close only after the DataSource has closed (every DataSource depends on the startup
 * restore, which depends on this bean, so this bean is destroyed after them): the engine's connection
 * is then the last, and the next start continues the same generation instead of uploading a snapshot.
 * <p>
 * Health, endpoint and metrics read it through {@link #replicator()}; they never drive the engine
 * except through its public operations.
 */
public class LitestreamReplication implements SmartLifecycle, DisposableBean {

	/** Starts before and stops after the web server (whose phases are MAX_VALUE - 1024 and - 2048). */
	public static final int PHASE = Integer.MAX_VALUE - 4096;

	private final Replicator replicator;

	private final List<ReplicationListener> listeners = new CopyOnWriteArrayList<>();

	private final Duration shutdownTimeout;

	private volatile String name;

	private volatile Duration leaseAcquireTimeout = Duration.ofMinutes(2);

	/** The follower role ({@code litestream.role=follower}), or {@code null} for a primary. */
	private volatile LitestreamFollower follower;

	private volatile boolean polling;

	public LitestreamReplication(DatabaseOptions options, List<Replica> replicas, Duration commitWindow,
			Duration shutdownTimeout) {
		this.replicator = new Replicator(options, replicas, commitWindow);
		this.replicator.setListener(ReplicationListener.composite(this.listeners));
		this.shutdownTimeout = shutdownTimeout;
		this.name = options.path().getFileName().toString();
	}

	/**
	 * The database's name: {@code litestream.databases[].name} where configured, else the database
	 * file's name. Metrics and observations tag with it ({@code database}).
	 */
	public String name() {
		return this.name;
	}

	public void setName(String name) {
		if (name != null && !name.isBlank()) {
			this.name = name;
		}
	}

	public Replicator replicator() {
		return this.replicator;
	}

	/** The follower role of this database, or {@code null} when it was configured as a primary. */
	public LitestreamFollower follower() {
		return this.follower;
	}

	/** Whether this database currently follows its replica (a follower not promoted). */
	public boolean isFollowing() {
		LitestreamFollower f = this.follower;
		return f != null && f.isFollowing();
	}

	public void setFollower(LitestreamFollower follower) {
		this.follower = follower;
	}

	public Path databasePath() {
		return this.replicator.databasePath();
	}

	public List<Replica> replicas() {
		return this.replicator.replicas();
	}

	/** How long the start waits for the leases ({@code litestream.lease.acquire-timeout}). */
	public Duration leaseAcquireTimeout() {
		return this.leaseAcquireTimeout;
	}

	public void setLeaseAcquireTimeout(Duration timeout) {
		if (timeout != null) {
			this.leaseAcquireTimeout = timeout;
		}
	}

	/** How long the final sync at shutdown may take ({@code spring.lifecycle.timeout-per-shutdown-phase}). */
	public Duration finalSyncTimeout() {
		return this.shutdownTimeout;
	}

	public ReplicationStatus status() {
		return this.replicator.status();
	}

	/**
	 * Whether the application may write, as health and the endpoint show it: {@code open},
	 * {@code paused: <reason>} or {@code closed: <reason>} (the database's {@link WriteGate}).
	 */
	public String writes() {
		WriteGate gate = this.replicator.writeGate();
		WriteGate.State state = gate.state();
		return switch (state) {
			case OPEN -> "open";
			case PAUSED -> "paused: " + gate.reason();
			case CLOSED -> "closed: " + gate.reason();
		};
	}

	/** Adds a listener (metrics) to the engine's events. */
	public void addListener(ReplicationListener listener) {
		this.listeners.add(listener);
	}

	@Override
	public void start() {
		if (isFollowing()) {
			this.follower.startPolling();
			this.polling = true;
			return;
		}
		this.replicator.start();
	}

	@Override
	public void stop() {
		if (this.follower != null) {
			this.follower.stopPolling();
			this.polling = false;
		}
		this.replicator.stopReplicating(this.shutdownTimeout);
	}

	/** After the DataSource has closed: the engine's connections close last (a clean stop). */
	@Override
	public void destroy() {
		this.replicator.closeDatabase();
	}

	@Override
	public boolean isRunning() {
		return (isFollowing() && this.polling) || this.replicator.isRunning();
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

}
