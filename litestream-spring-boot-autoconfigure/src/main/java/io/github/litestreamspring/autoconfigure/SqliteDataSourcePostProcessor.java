package io.github.litestreamspring.autoconfigure;

import java.time.Duration;

import com.zaxxer.hikari.HikariDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Configures every pooled SQLite connection for replication: WAL mode, a busy timeout long enough to
 * wait out the engine's brief checkpoint lock, and no automatic checkpoints (the engine owns them, so
 * the application never fights it over the WAL). Values the user set explicitly are kept.
 */
class SqliteDataSourcePostProcessor implements BeanPostProcessor {

	private static final Logger logger = LoggerFactory.getLogger(SqliteDataSourcePostProcessor.class);

	private final Duration busyTimeout;

	SqliteDataSourcePostProcessor(Duration busyTimeout) {
		this.busyTimeout = busyTimeout;
	}

	@Override
	public Object postProcessBeforeInitialization(Object bean, String beanName) {
		if (bean instanceof HikariDataSource hikari && hikari.getJdbcUrl() != null
				&& hikari.getJdbcUrl().startsWith("jdbc:sqlite:")) {
			setIfAbsent(hikari, "journal_mode", "WAL");
			setIfAbsent(hikari, "busy_timeout", Long.toString(this.busyTimeout.toMillis()));
			setIfAbsent(hikari, "wal_autocheckpoint", "0");
			logger.debug("DataSource '{}': SQLite connections use {}", beanName, hikari.getDataSourceProperties());
		}
		return bean;
	}

	private static void setIfAbsent(HikariDataSource hikari, String key, String value) {
		if (!hikari.getDataSourceProperties().containsKey(key)) {
			hikari.addDataSourceProperty(key, value);
		}
	}

}
