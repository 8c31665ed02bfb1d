package io.github.litestreamspring.interop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.ChildJvm;
import io.github.litestreamspring.engine.testsupport.RestoringChild;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A database larger than 1 GiB — past SQLite's lock page at offset {@code 0x40000000}, which SQLite
 * never uses and leaves as a hole in the file — snapshotted and replicated by our engine, then restored
 * byte for byte by our restore (in a JVM of {@value #RESTORE_HEAP}, to prove its memory does not grow
 * with the database) and by the real {@code litestream restore} v0.3.13. Too slow for every build (it
 * writes several GiB): the {@code large} tier, run by {@code ./mvnw -pl litestream-spring-boot-autoconfigure
 * test -Plarge} (docs/reliability.md). Figures are printed as {@code LARGE ...} lines.
 */
@Tag("large")
class LargeDatabaseInteropTests {

	/** The heap of our restore: far below the database, the snapshot, and a WAL index. */
	static final String RESTORE_HEAP = "-Xmx64m";

	private static final int PAGE_SIZE = 4096;

	/** The page SQLite never uses: the one holding byte offset 1 GiB. */
	private static final long LOCK_PAGE = (1L << 30) / PAGE_SIZE + 1;

	/** One row per page: ~1.17 GiB by default, of which ~38,000 rows lie past the lock page. */
	private static final int ROWS = Integer.getInteger("large.rows", 300_000);

	/** Interleaved repetitions of the snapshot-only restore by each tool (3 for the benchmark figures). */
	private static final int REPETITIONS = Integer.getInteger("large.repetitions", 1);

	private static final Duration RESTORE_TIMEOUT = Duration.ofMinutes(5);

	private Path dir;

	@BeforeEach
	void createDirectory() throws IOException {
		// Under target/, not /tmp: the files are large and the build's directory is where they are expected.
		this.dir = Files.createDirectories(Path.of(System.getProperty("large.dir", "target/large-db")))
			.toAbsolutePath();
		deleteContents(this.dir);
	}

	@AfterEach
	void deleteFiles() throws IOException {
		deleteContents(this.dir);
	}

	@Test
	void aDatabasePastTheLockPageReplicatesAndRestoresByteForByteByUsAndByLitestream() throws Exception {
		Path db = this.dir.resolve("big.db");
		Path replicaDir = this.dir.resolve("replica");
		long generated = System.nanoTime();
		generate(db);
		long pages = pragma(db, "page_count");
		report("generated %s: %d pages (%.2f GiB), %d rows past the lock page, in %.1f s", db, pages,
				pages * PAGE_SIZE / (double) (1L << 30), rowsPastLockPage(db), seconds(generated));
		assertThat(pages).as("pages").isGreaterThan(LOCK_PAGE + 10_000);
		assertThat(rowsPastLockPage(db)).as("rows stored in pages after the lock page").isGreaterThan(10_000);

		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(10))
			.withCheckpointPageCounts(1000, 20_000, 0);
		try (TestDatabase app = new TestDatabase(db);
				Replicator replicator = new Replicator(options, List.of(new Replica(
						ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(50)),
						new FileReplicaClient(replicaDir))))) {
			long snapshotStarted = System.nanoTime();
			replicator.start();
			replicator.syncNow();
			long snapshotBytes = sizeOf(replicaDir, ".snapshot.lz4");
			report("snapshot of %d bytes written as %d compressed bytes in %.1f s", pages * PAGE_SIZE, snapshotBytes,
					seconds(snapshotStarted));

			measureSnapshotOnlyRestores(replicaDir, pages * PAGE_SIZE);

			writeAfterTheSnapshot(app.connection(), replicator);
			replicator.syncNow();
		}
		// The engine stopped with everything shipped; checkpoint the source so that its file holds every page.
		try (Connection c = TestDatabase.open(db); Statement st = c.createStatement()) {
			st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
		}
		long size = Files.size(db);
		report("after the writes: %d bytes, %d WAL indexes and %d WAL segments in the replica", size,
				walIndexes(replicaDir), count(replicaDir, ".wal.lz4"));
		assertThat(walIndexes(replicaDir)).as("WAL indexes after the snapshot").isGreaterThan(1);

		Path ours = this.dir.resolve("ours.db");
		MeasuredProcess.Result byUs = restoreByUs(replicaDir, ours);
		report("our restore (snapshot + WAL, %s heap): %s", RESTORE_HEAP, byUs.describe(size));
		assertIdentical(ours, db);
		Files.delete(ours);

		Path theirs = this.dir.resolve("litestream.db");
		MeasuredProcess.Result byLitestream = restoreByLitestream(replicaDir, theirs);
		report("litestream restore (snapshot + WAL): %s", byLitestream.describe(size));
		assertIdentical(theirs, db);
	}

	/**
	 * The snapshot restored alone (the replica then holds the snapshot and the engine's first small
	 * segment), by each tool in turn: the figures of issue #16's "snapshot-only restore" goal.
	 */
	private void measureSnapshotOnlyRestores(Path replicaDir, long bytes) throws Exception {
		List<MeasuredProcess.Result> ours = new ArrayList<>();
		List<MeasuredProcess.Result> theirs = new ArrayList<>();
		for (int i = 0; i < REPETITIONS; i++) {
			Path output = this.dir.resolve("snapshot-only.db");
			MeasuredProcess.Result us = restoreByUs(replicaDir, output);
			assertThat(TestDatabase.integrityCheck(output)).isEqualTo("ok");
			Files.delete(output);
			MeasuredProcess.Result them = restoreByLitestream(replicaDir, output);
			assertThat(TestDatabase.integrityCheck(output)).isEqualTo("ok");
			Files.delete(output);
			report("snapshot-only restore %d/%d: ours %s; litestream %s", i + 1, REPETITIONS, us.describe(bytes),
					them.describe(bytes));
			ours.add(us);
			theirs.add(them);
		}
		report("snapshot-only restore, median of %d: ours %s; litestream %s", REPETITIONS,
				median(ours).describe(bytes), median(theirs).describe(bytes));
	}

	/**
	 * Rewrites rows on both sides of the lock page and appends new ones past the end, in transactions
	 * of a few MiB (one segment each, decoded to a file by our restore) and many of under 1 MiB (kept in
	 * memory by our restore, many at a time), so that the WAL touches pages beyond 1 GiB in several
	 * indexes.
	 */
	private static void writeAfterTheSnapshot(Connection c, Replicator replicator) throws Exception {
		c.setAutoCommit(false);
		try (PreparedStatement update = c.prepareStatement("UPDATE big SET a = randomblob(1500) WHERE id BETWEEN ? AND ?");
				PreparedStatement insert = c.prepareStatement(
						"INSERT INTO big (a, b) SELECT randomblob(1500), zeroblob(1500) FROM generate_rows LIMIT ?")) {
			for (int round = 0; round < 6; round++) {
				// ~2,000 pages past the lock page, ~500 before it, 1,000 new pages at the end.
				long first = ROWS - 2000L * (round + 1);
				update(update, first, first + 1999);
				update(update, 1 + 500L * round, 500L * (round + 1));
				insert.setInt(1, 1000);
				insert.executeUpdate();
				c.commit();
				replicator.syncNow();
			}
			for (int round = 0; round < 120; round++) {
				// ~200 pages (800 KiB) a transaction, one segment each.
				long first = ROWS - 30_000 + 200L * round;
				update(update, first, first + 199);
				c.commit();
				replicator.syncNow();
			}
		}
		finally {
			c.setAutoCommit(true);
		}
	}

	private static void update(PreparedStatement update, long first, long last) throws Exception {
		update.setLong(1, first);
		update.setLong(2, last);
		assertThat(update.executeUpdate()).isEqualTo((int) (last - first + 1));
	}

	/**
	 * One transaction, no journal, no fsync, a large page cache: the fastest way SQLite writes 1 GiB.
	 * Each row holds 1,500 random bytes and 1,500 zero bytes (one row per page, compressing to about
	 * half), then the database is switched to WAL for the engine.
	 */
	private static void generate(Path db) throws Exception {
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
			st.execute("PRAGMA page_size = " + PAGE_SIZE);
			st.execute("PRAGMA journal_mode = OFF");
			st.execute("PRAGMA synchronous = OFF");
			st.execute("PRAGMA cache_size = -65536");
			st.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, a BLOB, b BLOB)");
			// A row source for the inserts after the snapshot (INSERT ... SELECT ... LIMIT n).
			st.execute("CREATE VIEW generate_rows AS WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r "
					+ "WHERE i < 100000) SELECT i FROM r");
			st.execute("BEGIN");
			st.execute("INSERT INTO big (a, b) SELECT randomblob(1500), zeroblob(1500) FROM "
					+ "(WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < " + ROWS
					+ ") SELECT i FROM r)");
			st.execute("COMMIT");
			st.execute("PRAGMA journal_mode = WAL");
		}
	}

	/** Rows whose leaf page lies after the lock page (dbstat), or -1 where SQLite lacks dbstat. */
	private static long rowsPastLockPage(Path db) throws Exception {
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("SELECT COALESCE(SUM(ncell), 0) FROM dbstat WHERE name = 'big' "
						+ "AND pagetype = 'leaf' AND pageno > " + LOCK_PAGE)) {
			rs.next();
			return rs.getLong(1);
		}
	}

	private MeasuredProcess.Result restoreByUs(Path replicaDir, Path output) throws Exception {
		Path out = this.dir.resolve("restore.out");
		Path err = this.dir.resolve("restore.err");
		MeasuredProcess.Result result = MeasuredProcess.run(() -> ChildJvm.start(RestoringChild.class,
				List.of(RESTORE_HEAP, "-XX:+ExitOnOutOfMemoryError"), this.dir, out, err, replicaDir.toString(),
				output.toString()), RESTORE_TIMEOUT);
		String printed = ChildJvm.describe(out) + "\n" + ChildJvm.describe(err);
		assertThat(result.exitCode()).as(printed).isZero();
		assertThat(ChildJvm.lines(out)).as(printed).anyMatch((l) -> l.startsWith("RESTORED "));
		return result;
	}

	private MeasuredProcess.Result restoreByLitestream(Path replicaDir, Path output) throws Exception {
		Path log = this.dir.resolve("litestream.log");
		MeasuredProcess.Result result = MeasuredProcess.run(() -> new ProcessBuilder(LitestreamBinary.get().toString(),
				"restore", "-o", output.toString(), "file://" + replicaDir)
			.redirectErrorStream(true)
			.redirectOutput(log.toFile())
			.start(), RESTORE_TIMEOUT);
		assertThat(result.exitCode()).as(ChildJvm.describe(log)).isZero();
		return result;
	}

	/** Same bytes as the checkpointed source, page for page, and SQLite finds the file sound. */
	private static void assertIdentical(Path restored, Path source) throws Exception {
		long mismatch = Files.mismatch(restored, source);
		assertThat(mismatch).as("first differing byte of %s (page %d) against %s", restored,
				(mismatch < 0) ? -1 : mismatch / PAGE_SIZE + 1, source).isEqualTo(-1);
		assertThat(TestDatabase.integrityCheck(restored)).isEqualTo("ok");
	}

	private static MeasuredProcess.Result median(List<MeasuredProcess.Result> results) {
		return results.stream().sorted(Comparator.comparing(MeasuredProcess.Result::wall)).toList()
			.get(results.size() / 2);
	}

	private static long pragma(Path db, String name) throws Exception {
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("PRAGMA " + name)) {
			rs.next();
			return rs.getLong(1);
		}
	}

	private static long walIndexes(Path replicaDir) throws IOException {
		try (Stream<Path> files = Files.walk(replicaDir)) {
			return files.filter((p) -> !p.toString().contains("/compacted/"))
				.map((p) -> p.getFileName().toString())
				.filter((n) -> n.endsWith(".wal.lz4"))
				.map((n) -> n.substring(0, 8))
				.distinct()
				.count();
		}
	}

	/** Objects named {@code *suffix}, not counting our compacted WAL (Litestream's objects only). */
	private static long count(Path dir, String suffix) throws IOException {
		try (Stream<Path> files = Files.walk(dir)) {
			return files.filter((p) -> p.toString().endsWith(suffix) && !p.toString().contains("/compacted/")).count();
		}
	}

	private static long sizeOf(Path dir, String suffix) throws IOException {
		try (Stream<Path> files = Files.walk(dir)) {
			return files.filter((p) -> p.toString().endsWith(suffix)).mapToLong((p) -> p.toFile().length()).sum();
		}
	}

	private static double seconds(long startedNanos) {
		return (System.nanoTime() - startedNanos) / 1e9;
	}

	private static void report(String format, Object... args) {
		System.out.println("LARGE " + String.format(format, args));
	}

	private static void deleteContents(Path dir) throws IOException {
		try (Stream<Path> files = Files.walk(dir)) {
			for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
				if (!p.equals(dir)) {
					Files.delete(p);
				}
			}
		}
	}

}
