package io.github.litestreamspring.autoconfigure;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;
import io.github.litestreamspring.lifecycle.LitestreamReplication;

/**
 * A graceful shutdown of the application closes the pool before the engine's connections, so the
 * next start on the same disk continues the generation: no new snapshot per deploy or restart.
 */
class LitestreamRestartTests {

	@TempDir
	Path dir;

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, LitestreamAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica"),
					"litestream.monitor-interval=50ms");
	}

	private Pos runWriting(String... notes) {
		List<Pos> pos = new ArrayList<>();
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			context.start();
			try (Connection c = context.getBean(DataSource.class).getConnection(); Statement st = c.createStatement()) {
				st.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)");
				for (String note : notes) {
					st.execute("INSERT INTO notes (body) VALUES ('" + note + "')");
				}
			}
			pos.add(context.getBean(LitestreamReplication.class).replicator().syncNow());
		});
		return pos.get(0);
	}

	@Test
	void theFinalSyncMayTakeTheShutdownPhaseTimeout() {
		runner().run((context) -> assertThat(context.getBean(LitestreamReplication.class).finalSyncTimeout())
			.isEqualTo(java.time.Duration.ofSeconds(30)));
		runner().withPropertyValues("spring.lifecycle.timeout-per-shutdown-phase=75s")
			.run((context) -> assertThat(context.getBean(LitestreamReplication.class).finalSyncTimeout())
				.isEqualTo(java.time.Duration.ofSeconds(75)));
	}

	@Test
	void aGracefulRestartContinuesTheGenerationWithoutANewSnapshot() throws Exception {
		Pos first = runWriting("one", "two");
		assertThat(this.dir.resolve("app.db-wal")).as("the engine closed last: SQLite checkpointed and deleted the WAL")
			.doesNotExist();
		Pos second = runWriting("three");
		Pos third = runWriting("four");
		assertThat(second.generation()).isEqualTo(first.generation());
		assertThat(third.generation()).isEqualTo(first.generation());
		assertThat(third.index()).isGreaterThan(second.index());
		FileReplicaClient replica = new FileReplicaClient(this.dir.resolve("replica"));
		assertThat(replica.generations()).containsExactly(first.generation());
		assertThat(replica.snapshots(first.generation())).hasSize(1);
		Path restored = this.dir.resolve("restored.db");
		new Restorer(replica).restore(RestoreOptions.latest(restored));
		assertThat(TestDatabase.integrityCheck(restored)).isEqualTo("ok");
		try (Connection c = TestDatabase.open(restored); Statement st = c.createStatement();
				java.sql.ResultSet rs = st.executeQuery("SELECT group_concat(body) FROM notes ORDER BY id")) {
			rs.next();
			assertThat(rs.getString(1)).isEqualTo("one,two,three,four");
		}
	}

}
