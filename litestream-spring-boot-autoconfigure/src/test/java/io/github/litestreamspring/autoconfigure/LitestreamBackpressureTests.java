package io.github.litestreamspring.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableWebApplicationContext;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.util.FileSystemUtils;

import io.github.litestreamspring.health.LitestreamHealthIndicator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import io.github.litestreamspring.jdbc.BackpressureConnections;
import io.github.litestreamspring.jdbc.LitestreamBackpressure;
import io.github.litestreamspring.lifecycle.LitestreamReplication;

/**
 * The three backpressure policies with a replica that stops accepting uploads (its directory turns into
 * a regular file) so that the lag passes a small byte limit: degrade keeps writing and reports it,
 * fail rejects writes naming the policy, throttle delays writes and lets them through.
 */
class LitestreamBackpressureTests {

	@TempDir
	Path dir;

	private WebApplicationContextRunner runner(String policy) {
		return new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LitestreamAutoConfiguration.class, LitestreamHealthContributorAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica"),
					"litestream.replicas[0].sync-interval=50ms", "litestream.monitor-interval=50ms",
					"litestream.backpressure.max-lag-bytes=16KB", "litestream.backpressure.policy=" + policy,
					"litestream.backpressure.max-throttle=400ms");
	}

	@Test
	void degradeKeepsAcceptingWritesAndReportsTheLag() {
		runner("degrade").run((context) -> {
			fallBehind(context);
			insert(context.getBean(DataSource.class));
			Health health = context.getBean(LitestreamHealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.DOWN);
			@SuppressWarnings("unchecked")
			Map<String, Object> backpressure = (Map<String, Object>) health.getDetails().get("backpressure");
			assertThat(backpressure).containsEntry("policy", "degrade").containsEntry("active", true);
			assertThat(context.getBean(LitestreamBackpressure.class).violation())
				.contains("litestream.backpressure.max-lag-bytes").contains("policy=degrade");
		});
	}

	@Test
	void failRejectsNewWritesNamingThePolicyButNotReads() {
		runner("fail").run((context) -> {
			fallBehind(context);
			DataSource dataSource = context.getBean(DataSource.class);
			assertThatExceptionOfType(SQLException.class).isThrownBy(() -> insert(dataSource))
				.withMessageContaining("litestream.backpressure.policy=fail")
				.withMessageContaining("WAL bytes behind");
			try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
					var rs = st.executeQuery("SELECT COUNT(*) FROM notes")) {
				assertThat(rs.next()).isTrue();
			}
		});
	}

	@Test
	void throttleDelaysWritesBoundedAndLetsThemThrough() {
		runner("throttle").run((context) -> {
			fallBehind(context);
			DataSource dataSource = context.getBean(DataSource.class);
			long started = System.nanoTime();
			insert(dataSource);
			long millis = (System.nanoTime() - started) / 1_000_000;
			assertThat(millis).as("delay of a throttled write").isGreaterThanOrEqualTo(350);
			try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
					var rs = st.executeQuery("SELECT COUNT(*) FROM notes WHERE body = 'after'")) {
				rs.next();
				assertThat(rs.getInt(1)).isEqualTo(1);
			}
		});
	}

	@Test
	void writesAreUnaffectedWithinTheLimit() {
		runner("fail").run((context) -> {
			context.start();
			DataSource dataSource = context.getBean(DataSource.class);
			createTable(dataSource);
			insert(dataSource);
			assertThat(context.getBean(LitestreamBackpressure.class).violation()).isNull();
		});
	}

	@Test
	void recognisesWriteStatements() {
		assertThat(BackpressureConnections.isWrite("insert into t values (1)")).isTrue();
		assertThat(BackpressureConnections.isWrite("  -- comment\n/* c */ UPDATE t SET x = 1")).isTrue();
		assertThat(BackpressureConnections.isWrite("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x")).isTrue();
		assertThat(BackpressureConnections.isWrite("BEGIN IMMEDIATE")).isTrue();
		assertThat(BackpressureConnections.isWrite("BEGIN")).isFalse();
		assertThat(BackpressureConnections.isWrite("SELECT * FROM t")).isFalse();
		assertThat(BackpressureConnections.isWrite("WITH x AS (SELECT 1) SELECT * FROM x")).isFalse();
		assertThat(BackpressureConnections.isWrite(null)).isFalse();
	}

	/** Starts replication, breaks the replica and writes until the lag is over the 16 KB limit. */
	private void fallBehind(AssertableWebApplicationContext context) throws Exception {
		context.start();
		DataSource dataSource = context.getBean(DataSource.class);
		createTable(dataSource);
		context.getBean(LitestreamReplication.class).replicator().syncNow();
		FileSystemUtils.deleteRecursively(this.dir.resolve("replica"));
		Files.writeString(this.dir.resolve("replica"), "not a directory");
		LitestreamBackpressure backpressure = context.getBean(LitestreamBackpressure.class);
		try (Connection c = dataSource.getConnection();
				PreparedStatement ps = c.prepareStatement("INSERT INTO notes (body) VALUES (?)")) {
			// One transaction: only its first write is checked, while the lag is still under the limit.
			c.setAutoCommit(false);
			for (int i = 0; i < 8; i++) {
				ps.setString(1, "x".repeat(4096));
				ps.executeUpdate();
			}
			c.commit();
		}
		long deadline = System.nanoTime() + 10_000_000_000L;
		while (backpressure.violation() == null && System.nanoTime() < deadline) {
			Thread.sleep(20);
		}
		assertThat(backpressure.violation()).isNotNull();
		Thread.sleep(50); // let the writers' cached view of the status expire
	}

	private static void createTable(DataSource dataSource) throws SQLException {
		try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
			st.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)");
		}
	}

	private static void insert(DataSource dataSource) throws SQLException {
		try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
			st.executeUpdate("INSERT INTO notes (body) VALUES ('after')");
		}
	}

}
