package io.github.litestreamspring.interop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves the interop harness against the real Litestream v0.3.13: replicate with
 * {@link LitestreamProcess}, then restore and inspect with {@link LitestreamCli}.
 */
class LitestreamHarnessTests {

	private static final Pattern SNAPSHOT = Pattern.compile("generations/[0-9a-f]{16}/snapshots/[0-9a-f]{8}\\.snapshot\\.lz4");

	private static final Pattern WAL_SEGMENT = Pattern
		.compile("generations/[0-9a-f]{16}/wal/[0-9a-f]{8}_[0-9a-f]{8}\\.wal\\.lz4");

	private static final Duration REPLICATION_TIMEOUT = Duration.ofSeconds(15);

	@TempDir
	Path tmp;

	@Test
	void binaryIsLitestreamV0313() {
		CommandResult version = LitestreamCli.run("version");

		assertThat(version.exitCode()).as(version.describe()).isZero();
		assertThat(version.stdout().strip()).isEqualTo("v0.3.13");
	}

	@Test
	void fileReplicaWrittenByLitestreamRestoresTheSameRows() throws Exception {
		Path db = this.tmp.resolve("app.db");
		Path replicaDir = this.tmp.resolve("replica");
		List<String> written;
		String log;
		try (Connection app = open(db)) {
			execute(app, "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
			try (LitestreamProcess litestream = LitestreamProcess.fileReplica(db, replicaDir)
				.syncInterval(Duration.ofMillis(100))
				.monitorInterval(Duration.ofMillis(100))
				.start(this.tmp.resolve("litestream"))) {
				for (int tx = 0; tx < 5; tx++) {
					insertRows(app, tx * 10, 10);
				}
				boolean replicated = awaitFiles(replicaDir, (name) -> WAL_SEGMENT.matcher(name).matches(),
						REPLICATION_TIMEOUT);
				assertThat(replicated).as("WAL segments within %s; log:%n%s", REPLICATION_TIMEOUT, litestream.log())
					.isTrue();
				litestream.stop();
				log = litestream.log();
			}
			written = names(app);
		}
		assertThat(written).hasSize(50);
		assertThat(log).contains("initialized db", "signal received, litestream shutting down");

		List<String> objects = relativeFiles(replicaDir);
		assertThat(objects).as(log).allMatch((name) -> SNAPSHOT.matcher(name).matches()
				|| WAL_SEGMENT.matcher(name).matches());
		assertThat(objects).as(log).anyMatch((name) -> SNAPSHOT.matcher(name).matches());
		String generation = objects.get(0).split("/")[1];

		String url = "file://" + replicaDir.toAbsolutePath();
		CommandResult generations = LitestreamCli.generations(url, null);
		assertThat(generations.exitCode()).as(generations.describe()).isZero();
		assertThat(LitestreamCli.rows(generations)).as(generations.describe())
			.anyMatch((row) -> row.contains(generation));

		Path restored = this.tmp.resolve("restored.db");
		CommandResult restore = LitestreamCli.restore(restored, url, null);
		assertThat(restore.exitCode()).as(restore.describe()).isZero();
		try (Connection copy = open(restored)) {
			assertThat(names(copy)).isEqualTo(written);
			assertThat(queryStrings(copy, "PRAGMA integrity_check")).containsExactly("ok");
		}
	}

	@Test
	void restoreFromEmptyReplicaFailsUnlessIfReplicaExists() throws IOException {
		Path empty = Files.createDirectories(this.tmp.resolve("empty-replica"));
		String url = "file://" + empty.toAbsolutePath();

		CommandResult strict = LitestreamCli.restore(this.tmp.resolve("a.db"), url, null);
		CommandResult lenient = LitestreamCli.restore(this.tmp.resolve("b.db"), url, null, "-if-replica-exists");

		assertThat(strict.exitCode()).as(strict.describe()).isNotZero();
		assertThat(strict.stderr() + strict.stdout()).contains("no matching backups found");
		assertThat(lenient.exitCode()).as(lenient.describe()).isZero();
		assertThat(this.tmp.resolve("b.db")).doesNotExist();
	}

	private static Connection open(Path db) throws SQLException {
		// busy_timeout: Litestream takes locks on the database while it syncs and checkpoints.
		return DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath() + "?journal_mode=WAL&busy_timeout=5000");
	}

	private static void insertRows(Connection connection, int firstId, int count) throws SQLException {
		connection.setAutoCommit(false);
		try (PreparedStatement insert = connection.prepareStatement("INSERT INTO item (id, name) VALUES (?, ?)")) {
			for (int id = firstId; id < firstId + count; id++) {
				insert.setInt(1, id);
				insert.setString(2, "item-" + id);
				insert.executeUpdate();
			}
			connection.commit();
		}
		finally {
			connection.setAutoCommit(true);
		}
	}

	private static List<String> names(Connection connection) throws SQLException {
		return queryStrings(connection, "SELECT id || ':' || name FROM item ORDER BY id");
	}

	private static List<String> queryStrings(Connection connection, String sql) throws SQLException {
		List<String> values = new ArrayList<>();
		try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
			while (rs.next()) {
				values.add(rs.getString(1));
			}
		}
		return values;
	}

	private static void execute(Connection connection, String sql) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			statement.execute(sql);
		}
	}

	/** Polls until a file under {@code root} whose relative path satisfies {@code wanted} exists. */
	private static boolean awaitFiles(Path root, Predicate<String> wanted, Duration timeout)
			throws IOException, InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		do {
			if (relativeFiles(root).stream().anyMatch(wanted)) {
				return true;
			}
			Thread.sleep(50);
		}
		while (System.nanoTime() - deadline < 0);
		return false;
	}

	/** Relative paths ({@code /}-separated) of all regular files under {@code root}, sorted. */
	private static List<String> relativeFiles(Path root) throws IOException {
		if (!Files.isDirectory(root)) {
			return List.of();
		}
		try (Stream<Path> files = Files.walk(root)) {
			return files.filter(Files::isRegularFile)
				.map((file) -> root.relativize(file).toString().replace('\\', '/'))
				.sorted()
				.toList();
		}
	}

}
