package io.github.litestreamspring.interop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Byte compatibility with the real Litestream v0.3.13 on a file replica, in both directions.
 */
class FileReplicaInteropTests {

	@TempDir
	Path dir;

	@Test
	void litestreamRestoresWhatOurEngineReplicatedAcrossWalRestartsAndGenerations() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1))
			.withCheckpointPageCounts(30, 120, 0);
		try (TestDatabase app = new TestDatabase(db)) {
			int batch = 0;
			// First run: several WAL restarts.
			try (Replicator replicator = replicator(options, replicaDir)) {
				replicator.start();
				for (; batch < 120; batch++) {
					app.insertBatch(batch, 10, 300);
					if (batch % 10 == 0) {
						replicator.syncNow();
					}
				}
				assertThat(replicator.syncNow().index()).as("WAL index after restarts").isGreaterThanOrEqualTo(3);
			}
			// While replication is stopped someone truncates the WAL: continuity is lost.
			try (Statement st = app.connection().createStatement()) {
				st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
			}
			app.insertBatch(batch++, 10, 300);
			String firstGeneration = generations(replicaDir).get(0);
			// Second run: a new generation, more restarts.
			try (Replicator replicator = replicator(options, replicaDir)) {
				replicator.start();
				for (; batch < 240; batch++) {
					app.insertBatch(batch, 10, 300);
					if (batch % 10 == 0) {
						replicator.syncNow();
					}
				}
				replicator.syncNow();
				assertThat(replicator.status().generation()).isNotEqualTo(firstGeneration);
			}
			assertThat(generations(replicaDir)).hasSize(2);
			List<String> expected = app.rows();

			Path restored = this.dir.resolve("by-litestream.db");
			CommandResult result = LitestreamCli.restore(restored, "file://" + replicaDir, null);
			assertThat(result.exitCode()).as(result.describe()).isZero();
			assertThat(TestDatabase.rows(restored)).isEqualTo(expected);
			assertThat(TestDatabase.integrityCheck(restored)).isEqualTo("ok");

			// And the first generation alone, as Litestream reads it.
			Path older = this.dir.resolve("older.db");
			result = LitestreamCli.restore(older, "file://" + replicaDir, null, "-generation", firstGeneration);
			assertThat(result.exitCode()).as(result.describe()).isZero();
			assertThat(TestDatabase.rows(older)).hasSize(120 * 10).isEqualTo(expected.subList(0, 1200));
			assertThat(TestDatabase.integrityCheck(older)).isEqualTo("ok");
		}
	}

	@Test
	void ourRestoreReadsWhatLitestreamReplicated() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		Path work = Files.createDirectories(this.dir.resolve("litestream"));
		try (TestDatabase app = new TestDatabase(db)) {
			List<String> expected;
			try (LitestreamProcess litestream = LitestreamProcess.fileReplica(db, replicaDir)
				.syncInterval(Duration.ofMillis(100))
				.monitorInterval(Duration.ofMillis(100))
				.minCheckpointPageCount(30)
				.maxCheckpointPageCount(120)
				.start(work)) {
				for (int batch = 0; batch < 150; batch++) {
					app.insertBatch(batch, 10, 300);
					if (batch % 50 == 49) {
						Thread.sleep(300);
					}
				}
				expected = app.rows();
				litestream.stop();
			}
			assertThat(walIndexes(replicaDir)).as("Litestream restarted the WAL").isGreaterThan(1);
			Path restored = this.dir.resolve("restored.db");
			RestoreResult result = new Restorer(new FileReplicaClient(replicaDir))
				.restore(RestoreOptions.latest(restored));
			assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
			assertThat(TestDatabase.rows(restored)).isEqualTo(expected);
			assertThat(TestDatabase.integrityCheck(restored)).isEqualTo("ok");
			try (Connection c = TestDatabase.open(restored); Statement st = c.createStatement();
					ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM _litestream_seq")) {
				assertThat(rs.next()).isTrue();
			}
		}
	}

	/**
	 * The engine keeps its local state in Litestream's layout: an operator can hand a running database
	 * from the engine to the sidecar and back, and the generation simply continues.
	 */
	@Test
	void replicationMovesBetweenOurEngineAndLitestreamWithinOneGeneration() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		DatabaseOptions options = DatabaseOptions.defaults(db).withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1));
		try (TestDatabase app = new TestDatabase(db)) {
			String generation;
			try (Replicator replicator = replicator(options, replicaDir)) {
				replicator.start();
				for (int batch = 0; batch < 10; batch++) {
					app.insertBatch(batch, 10, 200);
				}
				generation = replicator.syncNow().generation();
			}
			Path work = Files.createDirectories(this.dir.resolve("litestream"));
			try (LitestreamProcess litestream = LitestreamProcess.fileReplica(db, replicaDir)
				.syncInterval(Duration.ofMillis(100))
				.monitorInterval(Duration.ofMillis(100))
				.start(work)) {
				// Hand over between writes: when the application writes while the sidecar starts, the sidecar
				// can find the WAL restarted before its first check and (safely) begins a new generation.
				assertThat(litestream.awaitLog((log) -> log.contains("initialized db"), Duration.ofSeconds(20))).isTrue();
				Thread.sleep(500);
				for (int batch = 10; batch < 20; batch++) {
					app.insertBatch(batch, 10, 200);
				}
				Thread.sleep(500);
				litestream.stop();
				assertThat(litestream.log()).doesNotContain("new generation");
			}
			try (Replicator replicator = replicator(options, replicaDir)) {
				replicator.start();
				for (int batch = 20; batch < 30; batch++) {
					app.insertBatch(batch, 10, 200);
				}
				assertThat(replicator.syncNow().generation()).isEqualTo(generation);
			}
			assertThat(generations(replicaDir)).containsExactly(generation);
			List<String> expected = app.rows();
			Path ours = this.dir.resolve("ours.db");
			new Restorer(new FileReplicaClient(replicaDir)).restore(RestoreOptions.latest(ours));
			assertThat(TestDatabase.rows(ours)).isEqualTo(expected);
			Path theirs = this.dir.resolve("theirs.db");
			CommandResult result = LitestreamCli.restore(theirs, "file://" + replicaDir, null);
			assertThat(result.exitCode()).as(result.describe()).isZero();
			assertThat(TestDatabase.rows(theirs)).isEqualTo(expected);
		}
	}

	/**
	 * Litestream compresses a snapshot whose size is a multiple of 4 MiB with an empty "uncompressed"
	 * block before the end mark, which lz4-java's frame reader misreads (format reference §2.2).
	 */
	@Test
	void ourRestoreReadsALitestreamSnapshotOfExactly4MiB() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
				Statement st = c.createStatement()) {
			st.execute("PRAGMA page_size = 65536");
			st.execute("PRAGMA journal_mode = wal");
			// Litestream's own tables first, so that it adds no page when it starts.
			st.execute("CREATE TABLE IF NOT EXISTS _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)");
			st.execute("CREATE TABLE IF NOT EXISTS _litestream_lock (id INTEGER)");
			st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, batch INTEGER, payload TEXT)");
			c.setAutoCommit(false);
			try (var insert = c.prepareStatement("INSERT INTO t (batch, payload) VALUES (0, ?)")) {
				int i = 0;
				while (pageCount(st) < 64 && i < 200_000) {
					insert.setString(1, String.format("%08d", i++) + "y".repeat(92));
					insert.executeUpdate();
				}
			}
			c.commit();
			c.setAutoCommit(true);
			assertThat(pageCount(st)).as("pages of 64 KiB").isEqualTo(64);
			st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
		}
		assertThat(Files.size(db)).isEqualTo(4L * 1024 * 1024);
		List<String> expected = TestDatabase.rows(db);
		Path work = Files.createDirectories(this.dir.resolve("litestream"));
		try (LitestreamProcess litestream = LitestreamProcess.fileReplica(db, replicaDir)
			.syncInterval(Duration.ofMillis(100))
			.monitorInterval(Duration.ofMillis(100))
			.start(work)) {
			assertThat(litestream.awaitLog((log) -> log.contains("write snapshot"), Duration.ofSeconds(20)))
				.as(litestream.log())
				.isTrue();
			litestream.stop();
		}
		Path snapshot;
		try (Stream<Path> files = Files.walk(replicaDir)) {
			snapshot = files.filter((p) -> p.toString().endsWith(".snapshot.lz4")).findFirst().orElseThrow();
		}
		byte[] bytes = Files.readAllBytes(snapshot);
		// ... empty raw block, end mark, content checksum.
		assertThat(java.util.Arrays.copyOfRange(bytes, bytes.length - 12, bytes.length - 4))
			.containsExactly(0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00);
		Path restored = this.dir.resolve("restored.db");
		new Restorer(new FileReplicaClient(replicaDir)).restore(RestoreOptions.latest(restored));
		assertThat(TestDatabase.rows(restored)).isEqualTo(expected);
		assertThat(TestDatabase.integrityCheck(restored)).isEqualTo("ok");
	}

	private static long pageCount(Statement st) throws Exception {
		try (ResultSet rs = st.executeQuery("PRAGMA page_count")) {
			rs.next();
			return rs.getLong(1);
		}
	}

	private static Replicator replicator(DatabaseOptions options, Path replicaDir) {
		return new Replicator(options, List.of(new Replica(
				ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(50)), new FileReplicaClient(replicaDir))));
	}

	private static List<String> generations(Path replicaDir) throws Exception {
		try (Stream<Path> gens = Files.list(replicaDir.resolve("generations"))) {
			return gens.map(p -> p.getFileName().toString()).sorted().toList();
		}
	}

	private static long walIndexes(Path replicaDir) throws Exception {
		try (Stream<Path> files = Files.walk(replicaDir)) {
			return files.map(p -> p.getFileName().toString())
				.filter(n -> n.endsWith(".wal.lz4"))
				.map(n -> n.substring(0, 8))
				.distinct()
				.count();
		}
	}

}
