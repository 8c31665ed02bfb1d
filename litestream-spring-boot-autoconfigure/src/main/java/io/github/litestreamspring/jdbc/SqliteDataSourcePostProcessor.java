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
import io.github.litestreamspring.autoconfigure.LitestreamAdditionalDatabases;
import io.github.litestreamspring.autoconfigure.LitestreamConfigurationException;
import io.github.litestreamspring.lifecycle.LitestreamFollower;
import io.github.litestreamspring.lifecycle.LitestreamReplication;

/**
 * Configures every pooled SQLite connection for replication: WAL mode, a busy timeout long enough to
 * wait out the engine's brief checkpoint lock, no automatic checkpoints (the engine owns them, so the
 * application never fights it over the WAL), a commit listener that wakes replication, and — while leases
 * are enabled — the database's write gate on every write transaction. Values the user set explicitly are
 * kept.
 * <p>
 * A pool belongs to the replicated database whose file its URL names: the main one, or one of
 * {@code litestream.databases[]}; its commits wake that database's replication and its writes pass that
 * database's gate. A pool of a SQLite file that is not replicated wakes the main replication (a harmless
 * extra pass) and passes no gate: no lease stands behind it.
 */
public class SqliteDataSourcePostProcessor implements BeanPostProcessor {

	private static final Logger logger = LoggerFactory.getLogger(SqliteDataSourcePostProcessor.class);

	private final Duration busyTimeout;

	private final ObjectProvider<LitestreamReplication> replication;

	private final ObjectProvider<LitestreamBackpressure> backpressure;

	private volatile ObjectProvider<LitestreamAdditionalDatabases> additional;

	public SqliteDataSourcePostProcessor(Duration busyTimeout, ObjectProvider<LitestreamReplication> replication) {
		this(busyTimeout, replication, null);
	}

	/** Whether pooled connections pass the database's write gate ({@code litestream.lease.enabled}). */
	private final boolean gateWrites;

	public SqliteDataSourcePostProcessor(Duration busyTimeout, ObjectProvider<LitestreamReplication> replication,
			ObjectProvider<LitestreamBackpressure> backpressure) {
		this(busyTimeout, replication, backpressure, false);
	}

	public SqliteDataSourcePostProcessor(Duration busyTimeout, ObjectProvider<LitestreamReplication> replication,
			ObjectProvider<LitestreamBackpressure> backpressure, boolean gateWrites) {
		this.busyTimeout = busyTimeout;
		this.replication = replication;
		this.backpressure = backpressure;
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
						hikari.getDataSourceProperties(), database::replicator, this::backpressure, database::writeGate);
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
		LitestreamReplication main = this.replication.getIfAvailable();
		return main != null && main.follower() != null;
	}

	public void setAdditionalDatabases(ObjectProvider<LitestreamAdditionalDatabases> additional) {
		this.additional = additional;
	}

	/** The replicated database a pool's URL names, found on first use (the beans exist by then). */
	private final class PoolDatabase {

		private final String url;

		private volatile Replicator replicator;

		private volatile boolean replicated;

		private volatile LitestreamFollower follower;

		PoolDatabase(String url) {
			this.url = url;
		}

		Replicator replicator() {
			Replicator r = this.replicator;
			if (r == null) {
				r = resolve();
			}
			return r;
		}

		/** The follower role of the pool's database, or {@code null}. */
		LitestreamFollower follower() {
			replicator();
			return this.follower;
		}

		WriteGate writeGate() {
			Replicator r = SqliteDataSourcePostProcessor.this.gateWrites ? replicator() : null;
			return (r != null && this.replicated) ? r.writeGate() : null;
		}

		private Replicator resolve() {
			LitestreamReplication main = SqliteDataSourcePostProcessor.this.replication.getIfAvailable();
			if (main == null) {
				return null;
			}
			java.nio.file.Path path = pathOf(this.url);
			LitestreamReplication match = (path != null && path.equals(normalize(main.databasePath()))) ? main : null;
			ObjectProvider<LitestreamAdditionalDatabases> more = SqliteDataSourcePostProcessor.this.additional;
			LitestreamAdditionalDatabases others = (more != null) ? more.getIfAvailable() : null;
			if (match == null && others != null && path != null) {
				match = others.replications()
					.stream()
					.filter((r) -> path.equals(normalize(r.databasePath())))
					.findFirst()
					.orElse(null);
			}
			this.replicated = match != null;
			this.follower = (match != null) ? match.follower() : null;
			Replicator r = (match != null) ? match.replicator() : main.replicator();
			this.replicator = r;
			return r;
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

	private LitestreamBackpressure backpressure() {
		return (this.backpressure != null) ? this.backpressure.getIfAvailable() : null;
	}

	private static void setIfAbsent(HikariDataSource hikari, String key, String value) {
		if (!hikari.getDataSourceProperties().containsKey(key)) {
			hikari.addDataSourceProperty(key, value);
		}
	}

}
