package io.github.litestreamspring.engine.restore;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
 * A restore's memory does not grow with the size or the number of the WAL segments it downloads at
 * once: many segments just under the in-memory limit (each ~900 KiB decoded, a busy application's
 * ordinary transactions) restore in a JVM whose heap is smaller than the download window's worth of
 * them. The large tier ({@code LargeDatabaseInteropTests}) checks the same for a database past 1 GiB.
 */
class RestoreMemoryTests {

	/**
	 * Smaller than the 64 segments of ~900 KiB a window of 8 threads × 8 could hold (~57 MiB), larger
	 * than what a restore needs: 8 MiB of segments in memory, at most 16 MiB of LZ4 decoding buffers
	 * for the downloads running at once, and the JVM's own (this restore passed in 36 MiB, not in 32).
	 * Every byte array here of ~1 MiB or more is a G1 humongous object taking whole regions, so a
	 * buffer one byte too large, or a decoding buffer four times too large, showed up as an
	 * out-of-memory failure in one CI run in a few.
	 */
	private static final String HEAP = "-Xmx64m";

	@TempDir
	Path dir;

	@Test
	void manySegmentsJustUnderTheInMemoryLimitRestoreInASmallHeap() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replica = this.dir.resolve("replica");
		List<String> expected;
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(10))
			.withCheckpointPageCounts(100_000, 0, 0);
		try (TestDatabase app = new TestDatabase(db);
				Replicator replicator = new Replicator(options, List.of(new Replica(
						ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMinutes(10)),
						new FileReplicaClient(replica))))) {
			replicator.start();
			replicator.syncNow();
			Connection c = app.connection();
			// 80 transactions of ~220 pages (~900 KiB of WAL) of incompressible rows, one segment each.
			try (PreparedStatement insert = c.prepareStatement(
					"INSERT INTO t (batch, payload) SELECT ?, hex(randomblob(1800)) FROM "
							+ "(WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 220) "
							+ "SELECT i FROM r)")) {
				for (int batch = 0; batch < 80; batch++) {
					insert.setInt(1, batch);
					insert.executeUpdate();
					replicator.syncNow();
				}
			}
			expected = app.rows();
		}
		Path output = this.dir.resolve("restored.db");
		Path out = this.dir.resolve("restore.out");
		Path err = this.dir.resolve("restore.err");
		Process child = ChildJvm.start(RestoringChild.class, List.of(HEAP, "-XX:+ExitOnOutOfMemoryError"), this.dir,
				out, err, replica.toString(), output.toString());
		assertThat(child.waitFor(2, TimeUnit.MINUTES)).as("restore finished").isTrue();
		String printed = ChildJvm.describe(out) + "\n" + ChildJvm.describe(err);
		assertThat(child.exitValue()).as(printed).isZero();
		assertThat(TestDatabase.rows(output)).isEqualTo(expected);
		assertThat(TestDatabase.integrityCheck(output)).isEqualTo("ok");
	}

}
