package io.github.litestreamspring.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Stream;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.lifecycle.LitestreamStartupRestore;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With several replicas, startup restores from the one with the newest backup and falls back to the
 * next when that one cannot be read or its restore fails (Litestream #687 aborts instead).
 */
class LitestreamStartupRestoreTests {

	@TempDir
	Path dir;

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, LitestreamAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("first"), "litestream.replicas[0].name=first",
					"litestream.replicas[1].url=file://" + this.dir.resolve("second"),
					"litestream.replicas[1].name=second", "litestream.monitor-interval=50ms");
	}

	@Test
	void fallsBackToTheNextReplicaWhenTheBestOneCannotBeRestored() throws Exception {
		writeNotesAndLoseTheDatabase();
		// Damage every WAL segment of the first replica: it still lists fine (and now looks newest), but its
		// restore fails.
		try (Stream<Path> files = Files.walk(this.dir.resolve("first"))) {
			for (Path f : files.filter((p) -> p.toString().endsWith(".wal.lz4")).toList()) {
				Files.write(f, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
			}
		}
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(LitestreamStartupRestore.class).result().outcome())
				.isEqualTo(RestoreResult.Outcome.RESTORED);
			assertThat(notes(context.getBean(DataSource.class))).containsExactly("first", "second");
		});
	}

	@Test
	void fallsBackToTheNextReplicaWhenTheBestOneCannotBeListed() throws Exception {
		writeNotesAndLoseTheDatabase();
		// "generations" becomes a plain file: listing the first replica fails.
		Path generations = this.dir.resolve("first").resolve("generations");
		try (Stream<Path> files = Files.walk(generations)) {
			files.sorted(java.util.Comparator.reverseOrder()).forEach((p) -> p.toFile().delete());
		}
		Files.writeString(generations, "not a directory");
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(notes(context.getBean(DataSource.class))).containsExactly("first", "second");
		});
	}

	@Test
	void failsWhenNoReplicaCanBeRestored() throws Exception {
		writeNotesAndLoseTheDatabase();
		try (Stream<Path> files = Files.walk(this.dir)) {
			for (Path f : files.filter((p) -> p.toString().endsWith(".wal.lz4")).toList()) {
				Files.write(f, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
			}
		}
		runner().run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("cannot restore")
				.hasMessageContaining("replica 'first'")
				.hasMessageContaining("replica 'second'");
		});
	}

	private void writeNotesAndLoseTheDatabase() throws Exception {
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			context.start();
			try (Connection c = context.getBean(DataSource.class).getConnection(); Statement st = c.createStatement()) {
				st.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
				st.execute("INSERT INTO notes (body) VALUES ('first'), ('second')");
			}
			context.getBean(LitestreamReplication.class).replicator().syncNow();
		});
		for (String name : List.of("app.db", "app.db-wal", "app.db-shm")) {
			Files.deleteIfExists(this.dir.resolve(name));
		}
	}

	private static List<String> notes(DataSource dataSource) throws Exception {
		try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("SELECT body FROM notes ORDER BY id")) {
			List<String> notes = new java.util.ArrayList<>();
			while (rs.next()) {
				notes.add(rs.getString(1));
			}
			return notes;
		}
	}

}
