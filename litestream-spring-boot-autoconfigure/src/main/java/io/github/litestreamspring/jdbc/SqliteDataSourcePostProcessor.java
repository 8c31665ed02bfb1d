package io.github.litestreamspring.jdbc;

import java.time.Duration;

import com.zaxxer.hikari.HikariDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;

import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.lease.WriteGate;
import io.github.litestreamspring.autoconfigure.DatabasePaths;
import io.github.litestreamspring.lifecycle.LitestreamDatabase;
import io.github.litestreamspring.lifecycle.LitestreamDatabases;
import io.github.litestreamspring.lifecycle.LitestreamFollower;
import io.github.litestreamspring.autoconfigure.LitestreamConfigurationException;

/**
 * Configures every pooled SQLite connection for replication: WAL mode, a busy timeout long enough to
 * wait out the engine's brief checkpoint lock, no automatic checkpoints (the engine owns them, so the
 * application never fights it over the WAL), a commit listener that wakes replication, and — while leases
 * are enabled — the database's write gate on every write transaction. Values the user set explicitly are
 * kept.
 * <p>
 * A pool belongs to the replicated database whose file its URL names: the main one, or one of
 * {@code litestream.databases[]}; its commits wake that database's replication, and its writes pass that
 * database's gate and backpressure. A pool of a SQLite file that is not replicated wakes the first
 * database's replication (a harmless extra pass), is held to its backpressure as before, and passes no
 * gate: no lease stands behind it.
 */
public class SqliteDataSourcePostProcessor implements BeanPostProcessor {

	private static final Logger logger = LoggerFactory.getLogger(SqliteDataSourcePostProcessor.class);

	private final Duration busyTimeout;

	private final ObjectProvider<LitestreamDatabases> databases;

	/** Whether pooled connections pass the database's write gate ({@code litestream.lease.enabled}). */
	private final boolean gateWrites;

	public SqliteDataSourcePostProcessor(Duration busyTimeout, ObjectProvider<LitestreamDatabases> databases,
			boolean gateWrites) {
		this.busyTimeout = busyTimeout;
		this.databases = databases;
		this.gateWrites = gateWrites;
	}

	@Override
	public Object postProcessBeforeInitialization(Object bean, String beanName) {
		if (bean instanceof HikariDataSource hikari && hikari.getJdbcUrl() != null
				&& hikari.getJdbcUrl().startsWith("jdbc:sqlite:")) {
			setIfAbsent(hikari, "journal_mode", "WAL");
			setIfAbsent(hikari, "busy_timeout", Long.toString(this.busyTimeout.toMillis()));
			setIfAbsent(hikari, "wal_autocheckpoint", "0");
			if (hikari.getDataSource() == null && hikari.getDataSourceClassName() == null) {
				// Physical connections come from sqlite-jdbc with the same URL and properties, plus a
				// commit listener that wakes replication (the pool keeps jdbcUrl for its metadata).
				PoolDatabase database = new PoolDatabase(hikari.getJdbcUrl());
				CommitNotifyingSqliteDataSource physical = new CommitNotifyingSqliteDataSource(hikari.getJdbcUrl(),
						hikari.getDataSourceProperties(), database::replicator, database::backpressure, database::writeGate);
				physical.setBeforeOpen(() -> {
					LitestreamFollower follower = database.follower();
					if (follower != null) {
						follower.awaitHandOuts();
					}
				});
				hikari.setDataSource(physical);
			}
			logger.debug("DataSource '{}': SQLite connections use {}", beanName, hikari.getDataSourceProperties());
		}
		return bean;
	}

	/**
	 * A pool of a follower's database is handed out through {@link FollowerDataSource}, which checks each
	 * connection's copy at hand-out.
	 */
	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) {
		if (bean instanceof HikariDataSource hikari && hikari.getJdbcUrl() != null
				&& hikari.getJdbcUrl().startsWith("jdbc:sqlite:")) {
			LitestreamFollower follower = new PoolDatabase(hikari.getJdbcUrl()).follower();
			if (follower != null) {
				logger.debug("DataSource '{}': hands out connections to the follower's current copy only", beanName);
				return new FollowerDataSource(hikari, follower);
			}
		}
		else if (bean instanceof javax.sql.DataSource && !(bean instanceof HikariDataSource) && isFollower()) {
			// Neither the write gate nor the copy check can be put on another pool's connections: writes would
			// land on a copy (and be lost at the next apply), and long-lived connections would read old copies.
			throw new LitestreamConfigurationException("the DataSource '" + beanName + "' ("
					+ bean.getClass().getName() + ") is not a HikariCP pool, which a follower needs: its writes could "
					+ "not be refused nor its connections kept on the current copy", "litestream.role",
					"Use HikariCP (Spring Boot's default pool) for the application's DataSources, or set "
							+ "'litestream.role=primary'");
		}
		return bean;
	}

	private boolean isFollower() {
		LitestreamDatabases all = this.databases.getIfAvailable();
		return all != null && all.all().stream().anyMatch((d) -> d.replication().follower() != null);
	}

	/** The replicated database a pool's URL names, found on first use (the beans exist by then). */
	private final class PoolDatabase {

		private final String url;

		private volatile LitestreamDatabase database;

		private volatile boolean replicated;

		PoolDatabase(String url) {
			this.url = url;
		}

		Replicator replicator() {
			LitestreamDatabase d = database();
			return (d != null) ? d.replication().replicator() : null;
		}

		LitestreamBackpressure backpressure() {
			LitestreamDatabase d = database();
			return (d != null) ? d.backpressure() : null;
		}

		/** The follower role of the pool's database, or {@code null}. */
		LitestreamFollower follower() {
			LitestreamDatabase d = database();
			return (d != null && this.replicated) ? d.replication().follower() : null;
		}

		WriteGate writeGate() {
			Replicator r = SqliteDataSourcePostProcessor.this.gateWrites ? replicator() : null;
			return (r != null && this.replicated) ? r.writeGate() : null;
		}

		private LitestreamDatabase database() {
			LitestreamDatabase d = this.database;
			if (d == null) {
				d = resolve();
			}
			return d;
		}

		private LitestreamDatabase resolve() {
			LitestreamDatabases all = SqliteDataSourcePostProcessor.this.databases.getIfAvailable();
			if (all == null) {
				return null;
			}
			java.nio.file.Path path = pathOf(this.url);
			LitestreamDatabase match = (path != null) ? all.all()
				.stream()
				.filter((d) -> path.equals(normalize(d.path())))
				.findFirst()
				.orElse(null) : null;
			this.replicated = match != null;
			LitestreamDatabase d = (match != null) ? match : all.first();
			this.database = d;
			return d;
		}

	}

	private static java.nio.file.Path pathOf(String url) {
		try {
			return normalize(DatabasePaths.fromJdbcUrl(url));
		}
		catch (RuntimeException ex) {
			return null; // in-memory or otherwise not a file: not replicated
		}
	}

	private static java.nio.file.Path normalize(java.nio.file.Path path) {
		return path.toAbsolutePath().normalize();
	}

	private static void setIfAbsent(HikariDataSource hikari, String key, String value) {
		if (!hikari.getDataSourceProperties().containsKey(key)) {
			hikari.addDataSourceProperty(key, value);
		}
	}

}
