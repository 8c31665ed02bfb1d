package io.github.litestreamspring.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.testsupport.StaleWal;

import static org.assertj.core.api.Assertions.assertThat;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.lifecycle.LitestreamStartupRestore;

/**
 * The operator deletes {@code app.db} to get the backup back but leaves {@code app.db-wal}: the restore on
 * startup must give the application exactly the backup, not the leftover WAL's commits replayed onto it.
 */
class LitestreamStartupRestoreLeftoversTests {

	@TempDir
	Path dir;

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, LitestreamAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica"),
					"litestream.monitor-interval=50ms");
	}

	@Test
	void startupRestoreIgnoresTheWalOfTheDeletedDatabase() throws Exception {
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			context.start();
			try (Connection c = context.getBean(DataSource.class).getConnection(); Statement st = c.createStatement()) {
				st.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
				st.execute("INSERT INTO notes (body) VALUES ('first'), ('second')");
			}
			context.getBean(LitestreamReplication.class).replicator().syncNow();
		});
		// Commits made while nothing replicated (table t), kept only in the WAL left beside the deleted file.
		StaleWal.deleteDatabaseButKeepAWalOfUnreplicatedCommits(this.dir.resolve("app.db"), 0, 3);
		assertThat(this.dir.resolve("app.db")).doesNotExist();
		assertThat(this.dir.resolve("app.db-wal")).exists();

		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(LitestreamStartupRestore.class).result().outcome())
				.isEqualTo(RestoreResult.Outcome.RESTORED);
			DataSource dataSource = context.getBean(DataSource.class);
			assertThat(query(dataSource, "SELECT name FROM sqlite_schema WHERE type = 'table'"
					+ " AND substr(name, 1, 11) <> '_litestream' ORDER BY name"))
				.containsExactly("notes");
			assertThat(query(dataSource, "SELECT body FROM notes ORDER BY id")).containsExactly("first", "second");
			assertThat(query(dataSource, "PRAGMA integrity_check")).containsExactly("ok");
		});
		assertThat(Files.exists(this.dir.resolve("app.db"))).isTrue();
	}

	private static List<String> query(DataSource dataSource, String sql) throws Exception {
		try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
				ResultSet rs = st.executeQuery(sql)) {
			List<String> values = new ArrayList<>();
			while (rs.next()) {
				values.add(rs.getString(1));
			}
			return values;
		}
	}

}
