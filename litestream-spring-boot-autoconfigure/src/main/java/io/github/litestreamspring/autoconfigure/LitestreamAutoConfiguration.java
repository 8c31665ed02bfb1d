package io.github.litestreamspring.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import javax.sql.DataSource;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AbstractDependsOnBeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.util.unit.DataSize;

import io.github.litestreamspring.engine.lease.LeaseOptions;
import io.github.litestreamspring.engine.lease.WriteGate;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.jdbc.LitestreamBackpressure;
import io.github.litestreamspring.jdbc.SqliteDataSourcePostProcessor;
import io.github.litestreamspring.lifecycle.LitestreamDatabase;
import io.github.litestreamspring.lifecycle.LitestreamDatabases;
import io.github.litestreamspring.lifecycle.LitestreamFollower;
import io.github.litestreamspring.lifecycle.LitestreamDurability;
import io.github.litestreamspring.lifecycle.LitestreamOperationObserver;
import io.github.litestreamspring.lifecycle.LitestreamReadiness;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.lifecycle.LitestreamStartupRestore;
import io.github.litestreamspring.lifecycle.LitestreamVerification;
import io.github.litestreamspring.engine.follower.Follower;
import io.github.litestreamspring.engine.follower.FollowerOptions;

/**
 * Auto-configuration of Litestream-compatible replication for the application's SQLite database:
 * restore before the DataSource exists, WAL-mode pooled connections, and replication as a lifecycle.
 */
// After the availability bean: on Boot's ACCEPTING_TRAFFIC, it must record that event before
// LitestreamReadiness answers with REFUSING_TRAFFIC while a write gate is closed.
@AutoConfiguration(afterName = { "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
		"org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration" })
@ConditionalOnClass(name = "org.sqlite.SQLiteConnection")
@ConditionalOnBooleanProperty(name = "litestream.enabled", matchIfMissing = true)
@EnableConfigurationProperties(LitestreamProperties.class)
public final class LitestreamAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	LitestreamReplication litestreamReplication(LitestreamProperties properties, Environment environment,
			BeanFactory beanFactory) {
		PropertyValidation.validate(properties);
		SqliteVersionGuard.check(properties.getSqlite());
		Path database = (properties.getPath() != null) ? properties.getPath().toAbsolutePath()
				: DatabasePaths.fromJdbcUrl(environment.getProperty("spring.datasource.url"));
		return replication(properties, database, properties.getMetaPath(), properties.getReplicas(),
				"litestream.replicas", beanFactory, finalSyncTimeout(environment));
	}

	/**
	 * Every database: the DataSource's first (its parts are the beans above), then each of
	 * {@code litestream.databases[]} with the same parts, built here from the shared settings.
	 */
	@Bean
	@ConditionalOnMissingBean
	LitestreamDatabases litestreamDatabases(LitestreamProperties properties, LitestreamReplication main,
			LitestreamVerification verification, LitestreamDurability durability, LitestreamBackpressure backpressure,
			BeanFactory beanFactory, Environment environment, ObjectProvider<LitestreamOperationObserver> observer) {
		List<LitestreamDatabase> further = new ArrayList<>();
		Set<Path> paths = new HashSet<>(List.of(main.databasePath()));
		Set<String> names = new HashSet<>(List.of(main.name()));
		Set<String> replicaUrls = new HashSet<>(urls(properties.getReplicas()));
		for (int i = 0; i < properties.getDatabases().size(); i++) {
			LitestreamProperties.Database database = properties.getDatabases().get(i);
			String prefix = "litestream.databases[" + i + "]";
			if (database.getPath() == null) {
				throw new LitestreamConfigurationException("a further database has no path", prefix + ".path",
						"Set '" + prefix + ".path' to the SQLite database file");
			}
			Path path = database.getPath().toAbsolutePath();
			if (!paths.add(path)) {
				throw new LitestreamConfigurationException("the database " + path + " is configured twice",
						prefix + ".path", "Configure each database once");
			}
			for (String url : urls(database.getReplicas())) {
				if (!replicaUrls.add(url)) {
					throw new LitestreamConfigurationException("the replica " + url + " is used by two databases",
							prefix + ".replicas", "Give every database a replica path of its own");
				}
			}
			LitestreamReplication replication = replication(properties, path, database.getMetaPath(),
					database.getReplicas(), prefix + ".replicas", beanFactory, finalSyncTimeout(environment));
			replication.setName(database.getName());
			if (!names.add(replication.name())) {
				throw new LitestreamConfigurationException("two databases are named '" + replication.name()
						+ "' (the 'database' tag of their metrics)", prefix + ".name",
						"Give each database a name of its own with 'litestream.databases[N].name'");
			}
			further.add(new LitestreamDatabase(replication, verification(replication, properties, observer),
					durability(replication, properties), backpressure(replication, properties)));
		}
		return new LitestreamDatabases(new LitestreamDatabase(main, verification, durability, backpressure), further);
	}

	private static List<String> urls(List<LitestreamProperties.Replica> replicas) {
		return replicas.stream().map(LitestreamProperties.Replica::getUrl).filter((u) -> u != null).toList();
	}

	/** One database's engine, configured from the shared settings and its own replicas. */
	private static LitestreamReplication replication(LitestreamProperties properties, Path database, Path metaPath,
			List<LitestreamProperties.Replica> replicas, String property, BeanFactory beanFactory,
			Duration finalSyncTimeout) {
		DatabaseOptions options = databaseOptions(properties, database, metaPath);
		LitestreamReplication replication = new LitestreamReplication(options,
				new ReplicaFactory(beanFactory).create(replicas, database, property), properties.getCommitWindow(),
				finalSyncTimeout);
		replication.replicator().setLeaseOptions(leaseOptions(properties.getLease()));
		replication.setLeaseAcquireTimeout(properties.getLease().getAcquireTimeout());
		Duration handoverWriteTimeout = properties.getLease().getHandoverWriteTimeout();
		replication.replicator()
			.writeGate()
			.setPauseTimeout((handoverWriteTimeout != null) ? handoverWriteTimeout : WriteGate.DEFAULT_PAUSE_TIMEOUT);
		DataSize shadowWalMaxSize = properties.getShadowWalMaxSize();
		replication.replicator().setShadowWalMaxBytes((shadowWalMaxSize != null) ? shadowWalMaxSize.toBytes() : 0);
		if (properties.getRole() == LitestreamProperties.Role.FOLLOWER) {
			replication.setFollower(follower(properties, options, replication, property));
		}
		return replication;
	}

	/** The follower role of one database: it follows its first replica. */
	private static LitestreamFollower follower(LitestreamProperties properties, DatabaseOptions options,
			LitestreamReplication replication, String property) {
		if (replication.replicas().isEmpty()) {
			throw new LitestreamConfigurationException("a follower of " + options.path() + " needs a replica to follow",
					property, "Configure the replica the primary writes to in '" + property + "'");
		}
		if (!org.springframework.util.ClassUtils.isPresent("com.zaxxer.hikari.HikariDataSource",
				LitestreamAutoConfiguration.class.getClassLoader())) {
			throw new LitestreamConfigurationException("a follower needs HikariCP, which is not on the class path: the "
					+ "pool's connections must be kept on the copy being served and its writes refused", "litestream.role",
					"Add com.zaxxer:HikariCP (Spring Boot's default pool), or set 'litestream.role=primary'");
		}
		LitestreamProperties.Follower f = properties.getFollower();
		PropertyValidation.notNegative("litestream.follower.poll-interval", f.getPollInterval());
		FollowerOptions followerOptions = new FollowerOptions(options.path(), options.metaPath(), f.getPollInterval(),
				properties.getRestore().getParallelism());
		Follower follower = new Follower(followerOptions, replication.replicas().get(0).client());
		return new LitestreamFollower(replication, follower, f.getMaxLag());
	}

	/**
	 * How long the final sync at shutdown may take: Spring Boot's budget for one shutdown phase
	 * ({@code spring.lifecycle.timeout-per-shutdown-phase}, default 30 s), so that raising it for a
	 * Kubernetes {@code terminationGracePeriodSeconds} also gives the final upload more time.
	 */
	static Duration finalSyncTimeout(Environment environment) {
		return Binder.get(environment)
			.bind("spring.lifecycle.timeout-per-shutdown-phase", Duration.class)
			.orElse(Duration.ofSeconds(30));
	}

	static LeaseOptions leaseOptions(LitestreamProperties.Lease lease) {
		if (!lease.isEnabled()) {
			return LeaseOptions.DISABLED;
		}
		LeaseOptions options;
		try {
			options = LeaseOptions.enabled(lease.getTtl(), lease.getOnConflict());
		}
		catch (IllegalArgumentException ex) {
			throw new LitestreamConfigurationException(ex.getMessage(), "litestream.lease.ttl",
					"Use a 'litestream.lease.ttl' of at least 300ms (the default is 30s)");
		}
		try {
			// Idle leases rely on every write passing the write gate: the pooled connections of the
			// DataSource this starter post-processes do.
			return options.withIdle(lease.getIdleAfter(), lease.getIdleTtl());
		}
		catch (IllegalArgumentException ex) {
			// LeaseOptions names the property it refused in its message.
			String property = ex.getMessage().contains("idle-after") ? "litestream.lease.idle-after"
					: "litestream.lease.idle-ttl";
			throw new LitestreamConfigurationException(ex.getMessage(), property,
					"Use a 'litestream.lease.idle-ttl' of at least 'litestream.lease.ttl' (default 5m) and a "
							+ "'litestream.lease.idle-after' of 0 (never idle) or more (default 1m)");
		}
	}

	@Bean
	@ConditionalOnMissingBean
	LitestreamStartupRestore litestreamStartupRestore(LitestreamDatabases databases, LitestreamProperties properties,
			ObjectProvider<LitestreamOperationObserver> observer) {
		LitestreamStartupRestore restore = new LitestreamStartupRestore(databases.replications(),
				properties.getRestore());
		restore.setObserver(observer.getIfAvailable());
		return restore;
	}

	@Bean
	@ConditionalOnMissingBean
	LitestreamDurability litestreamDurability(LitestreamReplication replication, LitestreamProperties properties) {
		return durability(replication, properties);
	}

	private static LitestreamDurability durability(LitestreamReplication replication, LitestreamProperties properties) {
		return new LitestreamDurability(replication.replicator(), properties.getDurableTimeout());
	}

	@Bean
	@ConditionalOnMissingBean
	LitestreamVerification litestreamVerification(LitestreamReplication replication, LitestreamProperties properties,
			ObjectProvider<LitestreamOperationObserver> observer) {
		return verification(replication, properties, observer);
	}

	private static LitestreamVerification verification(LitestreamReplication replication,
			LitestreamProperties properties, ObjectProvider<LitestreamOperationObserver> observer) {
		LitestreamProperties.Verification v = properties.getVerification();
		LitestreamVerification verification = new LitestreamVerification(replication, v.getInterval(),
				v.getScratchDir());
		verification.setObserver(observer.getIfAvailable());
		return verification;
	}

	@Bean
	@ConditionalOnMissingBean
	LitestreamReadiness litestreamReadiness(ApplicationEventPublisher publisher, LitestreamDatabases databases) {
		return new LitestreamReadiness(publisher, databases.replications());
	}

	@Bean
	@ConditionalOnMissingBean
	LitestreamBackpressure litestreamBackpressure(LitestreamReplication replication, LitestreamProperties properties) {
		return backpressure(replication, properties);
	}

	private static LitestreamBackpressure backpressure(LitestreamReplication replication,
			LitestreamProperties properties) {
		return new LitestreamBackpressure(replication, properties.getBackpressure());
	}

	static DatabaseOptions databaseOptions(LitestreamProperties p, Path database, Path metaPath) {
		LitestreamProperties.Checkpoint c = p.getCheckpoint();
		try {
			return new DatabaseOptions(database, metaPath, p.getMonitorInterval(), c.getInterval(),
					c.getMinPageCount(), c.getMaxPageCount(), c.getTruncatePageCount(), p.getBusyTimeout());
		}
		catch (IllegalArgumentException ex) {
			throw new LitestreamConfigurationException(ex.getMessage(), "litestream.checkpoint",
					"Use a positive 'litestream.checkpoint.min-page-count' and non-negative max/truncate page counts");
		}
	}

	/** Every DataSource waits for the startup restore, so no connection opens before it. */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(DataSource.class)
	static class DataSourceDependencyConfiguration {

		@Bean
		static RestoreBeforeDataSource litestreamRestoreBeforeDataSource() {
			return new RestoreBeforeDataSource();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "com.zaxxer.hikari.HikariDataSource")
	static class HikariConfiguration {

		@Bean
		static SqliteDataSourcePostProcessor litestreamSqliteDataSourcePostProcessor(Environment environment,
					ObjectProvider<LitestreamDatabases> databases) {
			// The Binder, not Environment.getProperty(): it converts "5s" whatever the environment's
			// conversion service, and a value that does not parse fails naming the property.
			Duration timeout = Binder.get(environment)
				.bind("litestream.application-busy-timeout", Duration.class)
				.orElse(Duration.ofSeconds(5));
			PropertyValidation.notNegative("litestream.application-busy-timeout", timeout);
			boolean gateWrites = Binder.get(environment).bind("litestream.lease.enabled", Boolean.class).orElse(true)
					|| Binder.get(environment)
						.bind("litestream.role", LitestreamProperties.Role.class)
						.orElse(LitestreamProperties.Role.PRIMARY) == LitestreamProperties.Role.FOLLOWER;
			return new SqliteDataSourcePostProcessor(timeout, databases, gateWrites);
		}

	}

	static final class RestoreBeforeDataSource extends AbstractDependsOnBeanFactoryPostProcessor {

		RestoreBeforeDataSource() {
			super(DataSource.class, "litestreamStartupRestore");
		}

	}

}
