package io.github.litestreamspring.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.lifecycle.LitestreamStartupRestore;

import static org.assertj.core.api.Assertions.assertThat;
import io.github.litestreamspring.lifecycle.LitestreamDurability;
import io.github.litestreamspring.lifecycle.LitestreamReplication;

class LitestreamAutoConfigurationTests {

	@TempDir
	Path dir;

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, LitestreamAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica"),
					"litestream.replicas[0].sync-interval=50ms", "litestream.monitor-interval=50ms");
	}

	@Test
	void replicatesTheDataSourceAndRestoresItOnAFreshStart() throws Exception {
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			LitestreamReplication replication = context.getBean(LitestreamReplication.class);
			context.start();
			DataSource dataSource = context.getBean(DataSource.class);
			try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
				try (ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
					rs.next();
					assertThat(rs.getString(1)).isEqualTo("wal");
				}
				st.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
				st.execute("INSERT INTO notes (body) VALUES ('first'), ('second')");
			}
			replication.replicator().syncNow();
		});
		// The context is closed: a graceful stop. Lose the local disk, start again.
		Files.delete(this.dir.resolve("app.db"));
		Files.deleteIfExists(this.dir.resolve("app.db-wal"));
		Files.deleteIfExists(this.dir.resolve("app.db-shm"));
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(LitestreamStartupRestore.class).result().outcome())
				.isEqualTo(RestoreResult.Outcome.RESTORED);
			try (Connection c = context.getBean(DataSource.class).getConnection(); Statement st = c.createStatement();
					ResultSet rs = st.executeQuery("SELECT body FROM notes ORDER BY id")) {
				assertThat(rs.next()).isTrue();
				assertThat(rs.getString(1)).isEqualTo("first");
				assertThat(rs.next()).isTrue();
				assertThat(rs.getString(1)).isEqualTo("second");
			}
		});
	}

	@Test
	void gracefulStopShipsTheLastWrite() throws Exception {
		runner().withPropertyValues("litestream.replicas[0].sync-interval=1h").run((context) -> {
			context.start();
			try (Connection c = context.getBean(DataSource.class).getConnection(); Statement st = c.createStatement()) {
				st.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
				st.execute("INSERT INTO notes (body) VALUES ('last words')");
			}
		});
		Path restored = this.dir.resolve("restored.db");
		new io.github.litestreamspring.engine.restore.Restorer(
				new io.github.litestreamspring.engine.replica.file.FileReplicaClient(this.dir.resolve("replica")))
			.restore(io.github.litestreamspring.engine.restore.RestoreOptions.latest(restored));
		try (Connection c = TestDatabase.open(restored); Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("SELECT body FROM notes")) {
			assertThat(rs.next()).isTrue();
			assertThat(rs.getString(1)).isEqualTo("last words");
		}
	}

	@Test
	void commitsThroughThePoolWakeReplication() {
		// No polling for an hour and no sync interval: only the pool's commit listener can ship this.
		runner().withPropertyValues("litestream.monitor-interval=1h", "litestream.replicas[0].sync-interval=0")
			.run((context) -> {
				context.start();
				LitestreamReplication replication = context.getBean(LitestreamReplication.class);
				DataSource dataSource = context.getBean(DataSource.class);
				try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
					st.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
				}
				var before = replication.replicator().syncNow();
				try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
					st.execute("INSERT INTO notes (body) VALUES ('woken')");
				}
				long deadline = System.nanoTime() + 5_000_000_000L;
				var status = replication.status();
				while (System.nanoTime() < deadline && (status.position().equals(before)
						|| !status.replicas().get(0).position().equals(status.position()))) {
					Thread.sleep(5);
					status = replication.status();
				}
				assertThat(status.position()).isNotEqualTo(before);
				assertThat(status.replicas().get(0).position()).isEqualTo(status.position());
			});
	}

	@Test
	void durabilityWaitsForTheReplicaAfterATransactionCommits() {
		runner().withPropertyValues("litestream.monitor-interval=1h", "litestream.replicas[0].sync-interval=1h")
			.withConfiguration(AutoConfigurations.of(
					org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration.class,
					org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration.class))
			.run((context) -> {
				context.start();
				DataSource dataSource = context.getBean(DataSource.class);
				org.springframework.transaction.support.TransactionTemplate tx = context
					.getBean(org.springframework.transaction.support.TransactionTemplate.class);
				LitestreamDurability durability = context.getBean(LitestreamDurability.class);
				new org.springframework.jdbc.core.JdbcTemplate(dataSource)
					.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
				tx.executeWithoutResult((status) -> {
					new org.springframework.jdbc.core.JdbcTemplate(dataSource)
						.update("INSERT INTO notes (body) VALUES ('acknowledged')");
					durability.awaitAfterCommit();
				});
				// The commit returned: the row must already be in the replica, with no sync interval due.
				Path restored = this.dir.resolve("durable.db");
				new io.github.litestreamspring.engine.restore.Restorer(
						new io.github.litestreamspring.engine.replica.file.FileReplicaClient(this.dir.resolve("replica")))
					.restore(io.github.litestreamspring.engine.restore.RestoreOptions.latest(restored));
				try (Connection c = TestDatabase.open(restored); Statement st = c.createStatement();
						ResultSet rs = st.executeQuery("SELECT body FROM notes")) {
					assertThat(rs.next()).isTrue();
					assertThat(rs.getString(1)).isEqualTo("acknowledged");
				}
			});
	}

	@Test
	void pooledConnectionsAreConfiguredForReplication() {
		runner().run((context) -> {
			HikariDataSource hikari = context.getBean(HikariDataSource.class);
			assertThat(hikari.getDataSourceProperties()).containsEntry("journal_mode", "WAL")
				.containsEntry("busy_timeout", "5000")
				.containsEntry("wal_autocheckpoint", "0");
		});
	}

	@Test
	void backsOffWhenDisabled() {
		runner().withPropertyValues("litestream.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(LitestreamReplication.class)
				.doesNotHaveBean(LitestreamStartupRestore.class));
	}

	@Test
	void backsOffWithoutSqliteDriver() {
		runner().withClassLoader(new FilteredClassLoader("org.sqlite"))
			.run((context) -> assertThat(context).doesNotHaveBean(LitestreamReplication.class));
	}

	@Test
	void failsWithTheDataSourceUrlForInMemoryDatabases() {
		runner().withPropertyValues("spring.datasource.url=jdbc:sqlite::memory:").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(LitestreamConfigurationException.class)
				.hasMessageContaining("in memory");
		});
	}

	@Test
	void failsNamingTheReplicaPropertyForAnUnsupportedUrl() {
		runner().withPropertyValues("litestream.replicas[0].url=ftp://example/backup").run((context) -> {
			assertThat(context).hasFailed();
			Throwable root = context.getStartupFailure();
			while (root.getCause() != null && !(root instanceof LitestreamConfigurationException)) {
				root = root.getCause();
			}
			assertThat(root).isInstanceOf(LitestreamConfigurationException.class);
			assertThat(((LitestreamConfigurationException) root).getProperty()).isEqualTo("litestream.replicas[0].url");
		});
	}

	@Test
	void failsWithoutReplicas() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, LitestreamAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"))
			.run((context) -> assertThat(context).hasFailed());
	}

	@Test
	void leavesAnExistingDatabaseAlone() throws Exception {
		try (TestDatabase db = new TestDatabase(this.dir.resolve("app.db"))) {
			db.insertBatch(1, 3, 10);
		}
		runner().run((context) -> {
			assertThat(context.getBean(LitestreamStartupRestore.class).result().outcome())
				.isEqualTo(RestoreResult.Outcome.DATABASE_EXISTS);
			assertThat(TestDatabase.rows(this.dir.resolve("app.db"))).hasSize(3);
		});
	}

	@Test
	void startsEmptyWhenTheReplicaHasNoBackup() {
		runner().run((context) -> assertThat(context.getBean(LitestreamStartupRestore.class).result().outcome())
			.isEqualTo(RestoreResult.Outcome.NO_BACKUP));
	}

	@Test
	void propertyDefaultsAreTheEngineDefaults() {
		LitestreamProperties p = new LitestreamProperties();
		LitestreamProperties.Replica r = new LitestreamProperties.Replica();
		assertThat(p.getMonitorInterval()).isEqualTo(io.github.litestreamspring.engine.db.DatabaseOptions.DEFAULT_MONITOR_INTERVAL);
		assertThat(p.getBusyTimeout()).isEqualTo(io.github.litestreamspring.engine.db.DatabaseOptions.DEFAULT_BUSY_TIMEOUT);
		assertThat(p.getCheckpoint().getInterval())
			.isEqualTo(io.github.litestreamspring.engine.db.DatabaseOptions.DEFAULT_CHECKPOINT_INTERVAL);
		assertThat(List.of(p.getCheckpoint().getMinPageCount(), p.getCheckpoint().getMaxPageCount(),
				p.getCheckpoint().getTruncatePageCount()))
			.containsExactly(io.github.litestreamspring.engine.db.DatabaseOptions.DEFAULT_MIN_CHECKPOINT_PAGE_COUNT,
					io.github.litestreamspring.engine.db.DatabaseOptions.DEFAULT_MAX_CHECKPOINT_PAGE_COUNT,
					io.github.litestreamspring.engine.db.DatabaseOptions.DEFAULT_TRUNCATE_PAGE_COUNT);
		assertThat(r.getSyncInterval()).isEqualTo(io.github.litestreamspring.engine.replication.ReplicaOptions.DEFAULT_SYNC_INTERVAL);
		assertThat(r.getSnapshotInterval())
			.isEqualTo(io.github.litestreamspring.engine.replication.ReplicaOptions.DEFAULT_SNAPSHOT_INTERVAL);
		assertThat(r.getRetention()).isEqualTo(io.github.litestreamspring.engine.replication.ReplicaOptions.DEFAULT_RETENTION);
		assertThat(r.getRetentionCheckInterval())
			.isEqualTo(io.github.litestreamspring.engine.replication.ReplicaOptions.DEFAULT_RETENTION_CHECK_INTERVAL);
		assertThat(p.getRestore().getParallelism())
			.isEqualTo(io.github.litestreamspring.engine.restore.RestoreOptions.DEFAULT_PARALLELISM);
		assertThat(r.getSnapshotDownloadParallelism())
			.isEqualTo(io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions.DEFAULT_DOWNLOAD_PARALLELISM);
		assertThat(r.getPartSize().toBytes())
			.isEqualTo(io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions.DEFAULT_PART_SIZE);
	}

}
