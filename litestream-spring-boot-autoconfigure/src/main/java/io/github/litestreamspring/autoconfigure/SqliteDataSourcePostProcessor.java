package io.github.litestreamspring.autoconfigure;

import java.time.Duration;

import com.zaxxer.hikari.HikariDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;

import io.github.litestreamspring.engine.Replicator;
import io.github.litestreamspring.engine.WriteGate;

/**
 * Configures every pooled SQLite connection for replication: WAL mode, a busy timeout long enough to
 * wait out the engine's brief checkpoint lock, no automatic checkpoints (the engine owns them, so the
 * application never fights it over the WAL), a commit listener that wakes replication, and — while leases
 * are enabled — the database's write gate on every write transaction. Values the user set explicitly are
 * kept.
 */
class SqliteDataSourcePostProcessor implements BeanPostProcessor {

	private static final Logger logger = LoggerFactory.getLogger(SqliteDataSourcePostProcessor.class);

	private final Duration busyTimeout;

	private final ObjectProvider<LitestreamReplication> replication;

	private volatile Replicator replicator;

	private final ObjectProvider<LitestreamBackpressure> backpressure;

	SqliteDataSourcePostProcessor(Duration busyTimeout, ObjectProvider<LitestreamReplication> replication) {
		this(busyTimeout, replication, null);
	}

	/** Whether pooled connections pass the database's write gate ({@code litestream.lease.enabled}). */
	private final boolean gateWrites;

	SqliteDataSourcePostProcessor(Duration busyTimeout, ObjectProvider<LitestreamReplication> replication,
			ObjectProvider<LitestreamBackpressure> backpressure) {
		this(busyTimeout, replication, backpressure, false);
	}

	SqliteDataSourcePostProcessor(Duration busyTimeout, ObjectProvider<LitestreamReplication> replication,
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
				hikari.setDataSource(new CommitNotifyingSqliteDataSource(hikari.getJdbcUrl(),
						hikari.getDataSourceProperties(), this::replicator, this::backpressure, this::writeGate));
			}
			logger.debug("DataSource '{}': SQLite connections use {}", beanName, hikari.getDataSourceProperties());
		}
		return bean;
	}

	private Replicator replicator() {
		Replicator r = this.replicator;
		if (r == null) {
			LitestreamReplication bean = this.replication.getIfAvailable();
			r = (bean != null) ? bean.replicator() : null;
			this.replicator = r;
		}
		return r;
	}

	private WriteGate writeGate() {
		Replicator r = this.gateWrites ? replicator() : null;
		return (r != null) ? r.writeGate() : null;
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
