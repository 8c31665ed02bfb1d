package io.github.litestreamspring.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import java.util.function.Supplier;

import org.sqlite.SQLiteCommitListener;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteDataSource;

import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.lease.WriteGate;
import io.github.litestreamspring.engine.db.EagerBusyHandler;

/**
 * The physical connections behind the pool: plain sqlite-jdbc connections with the pool's data source
 * properties, each carrying a commit listener that wakes the replication thread, so that shipping
 * follows commits instead of polling.
 * <p>
 * sqlite-jdbc's listener fires inside {@code sqlite3_commit_hook}, before the commit's frames are in
 * the WAL: it is only a "something changed" signal. {@link Replicator#notifyChange()} merely queues a
 * wake-up, so the replication thread reads the WAL after the commit has returned.
 * <p>
 * Each connection also gets {@link EagerBusyHandler#installForApplication}: the configured busy
 * timeout still applies, but a locked database is retried every 20 µs for the first 20 ms.
 * <p>
 * {@link #getConnection()} (what the pool calls) returns them guarded ({@link GuardedConnections}): write
 * transactions pass the database's write gate while leases are enabled, and the backpressure policy when
 * it is enforced.
 */
class CommitNotifyingSqliteDataSource extends SQLiteDataSource {

	private final SQLiteCommitListener listener;

	private final Supplier<LitestreamBackpressure> backpressure;

	private final Supplier<WriteGate> gate;

	/** Runs before each physical connection opens (a follower's promotion holds new ones back). */
	private volatile Runnable beforeOpen = () -> {
	};

	CommitNotifyingSqliteDataSource(String url, Properties properties, Supplier<Replicator> replicator) {
		this(url, properties, replicator, () -> null, () -> null);
	}

	/**
	 * @param backpressure the backpressure policy; connections enforce it only when it throttles or fails
	 * writes
	 * @param gate the database's write gate, or {@code null} when leases are disabled
	 */
	CommitNotifyingSqliteDataSource(String url, Properties properties, Supplier<Replicator> replicator,
			Supplier<LitestreamBackpressure> backpressure, Supplier<WriteGate> gate) {
		super(new SQLiteConfig(properties));
		this.backpressure = backpressure;
		this.gate = gate;
		setUrl(url);
		this.listener = new SQLiteCommitListener() {
			@Override
			public void onCommit() {
				Replicator r = replicator.get();
				if (r != null) {
					r.notifyChange();
				}
			}

			@Override
			public void onRollback() {
			}
		};
	}

	void setBeforeOpen(Runnable beforeOpen) {
		this.beforeOpen = beforeOpen;
	}

	@Override
	public SQLiteConnection getConnection(String username, String password) throws SQLException {
		this.beforeOpen.run();
		SQLiteConnection connection = super.getConnection(username, password);
		connection.addCommitListener(this.listener);
		// Same timeout, finer retries: waiting out the engine's few-millisecond checkpoint lock with
		// SQLite's 1, 2, 5, 10 ms sleeps would cost a busy writer several times the lock's length.
		EagerBusyHandler.installForApplication(connection, Duration.ofMillis(getConfig().getBusyTimeout()));
		return connection;
	}

	@Override
	public Connection getConnection() throws SQLException {
		SQLiteConnection connection = getConnection(null, null);
		LitestreamBackpressure policy = this.backpressure.get();
		LitestreamBackpressure enforced = (policy != null && policy.isEnforcing()) ? policy : null;
		WriteGate writeGate = this.gate.get();
		return (writeGate != null || enforced != null) ? GuardedConnections.wrap(connection, writeGate, enforced)
				: connection;
	}

}
