package io.github.litestreamspring.engine.restore;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.interop.CommandResult;
import io.github.litestreamspring.interop.LitestreamCli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Point-in-time restore ({@code -timestamp}) and restore up to a WAL index ({@code -index}) against a
 * replica our engine wrote in timed batches, checked against the rows the application had at each
 * point and against the real Litestream v0.3.13 reading the same replica.
 * <p>
 * Litestream's only clock is the object timestamp of the replica listing (file mtime here), so each
 * batch is synced on its own and followed by a pause: every batch then lives in segments whose mtimes
 * lie strictly between the previous point and its own, and "within one segment" becomes exact.
 */
class PointInTimeRestoreTests {

	private static final int BATCHES = 6;

	/** Batch after which an extra snapshot is taken, so restores must choose between two snapshots. */
	private static final int SNAPSHOT_AFTER = 2;

	@TempDir
	static Path shared;

	@TempDir
	Path dir;

	private static Path replicaDir;

	private static String generation;

	/** Before replication started: older than every object. */
	private static Instant beforeEverything;

	/** {@code points.get(i)}: a time after batch i was uploaded and before batch i + 1 was written. */
	private static final List<Instant> points = new ArrayList<>();

	/** {@code expected.get(i)}: the application's rows right after batch i. */
	private static final List<List<String>> expected = new ArrayList<>();

	private static SnapshotInfo firstSnapshot;

	private static SnapshotInfo laterSnapshot;

	@BeforeAll
	static void replicateInTimedBatches() throws Exception {
		Path db = shared.resolve("app.db");
		replicaDir = shared.resolve("replica");
		// Small checkpoint thresholds: every batch is larger than the minimum, so the engine's
		// checkpoints restart the WAL and the batches spread over several WAL indexes.
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(20), Duration.ofMinutes(1))
			.withCheckpointPageCounts(4, 16, 0);
		Replica replica = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(20)),
				new FileReplicaClient(replicaDir));
		beforeEverything = Instant.now().minusSeconds(1);
		Thread.sleep(1100);
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = new Replicator(options, List.of(replica))) {
			replicator.start();
			for (int batch = 0; batch < BATCHES; batch++) {
				app.insertBatch(batch, 40, 500);
				Pos pos = replicator.syncNow();
				generation = pos.generation();
				if (batch == SNAPSHOT_AFTER) {
					laterSnapshot = replicator.snapshotNow().get(0);
				}
				expected.add(app.rows());
				// The margin covers the coarse file-system clock that stamps mtimes; the pause keeps the
				// next batch's objects more than a second later, so even whole-second timestamps separate.
				Thread.sleep(50);
				points.add(Instant.now());
				Thread.sleep(1100);
			}
		}
		FileReplicaClient client = new FileReplicaClient(replicaDir);
		firstSnapshot = client.snapshots(generation).get(0);
		assertThat(client.generations()).containsExactly(generation);
		assertThat(client.snapshots(generation)).as("snapshots").hasSize(2);
		assertThat(laterSnapshot.index()).as("later snapshot index").isGreaterThan(firstSnapshot.index());
		// Sealed indexes have their compacted WAL too: Litestream must ignore it, and our restores to a
		// time use it only for indexes whose segments all precede that time.
		assertThat(client.compactedWals(generation)).as("compacted WAL").isNotEmpty();
	}

	@Test
	void restoresExactlyTheBatchesUploadedBeforeEachPointInTime() {
		for (int i = 0; i < BATCHES; i++) {
			Path out = this.dir.resolve("as-of-" + i + ".db");
			RestoreResult result = restorer().restore(RestoreOptions.latest(out).asOf(points.get(i)));
			assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
			assertThat(rows(out)).as("rows as of batch %d", i).isEqualTo(expected.get(i));
			assertThat(integrity(out)).isEqualTo("ok");
			// Before the later snapshot existed only the first can serve; from then on the later one
			// is the newest snapshot not after the point, and saves replaying the older WAL.
			long snapshotIndex = (i < SNAPSHOT_AFTER) ? firstSnapshot.index() : laterSnapshot.index();
			assertThat(result.plan().snapshot().index()).as("snapshot chosen as of batch %d", i).isEqualTo(snapshotIndex);
		}
	}

	@Test
	void restoresAcrossSeveralWalIndexesFromTheFirstSnapshot() {
		Path out = this.dir.resolve("as-of-1.db");
		RestoreResult result = restorer().restore(RestoreOptions.latest(out).asOf(points.get(SNAPSHOT_AFTER - 1)));
		assertThat(result.plan().snapshot().index()).isEqualTo(firstSnapshot.index());
		assertThat(result.plan().segmentsByIndex()).as("WAL indexes replayed").hasSizeGreaterThanOrEqualTo(2);
		assertThat(rows(out)).isEqualTo(expected.get(SNAPSHOT_AFTER - 1));
	}

	@Test
	void aPointBeforeTheFirstObjectHasNoMatchingBackup() {
		Path out = this.dir.resolve("too-early.db");
		assertThatThrownBy(() -> restorer().restore(RestoreOptions.latest(out).asOf(beforeEverything)))
			.isInstanceOf(LitestreamException.class)
			.hasMessageContaining("no matching backups");
		assertThat(out).doesNotExist();
		RestoreResult result = restorer()
			.restore(RestoreOptions.latest(out).asOf(beforeEverything).withIfReplicaExists(true));
		assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.NO_BACKUP);
		assertThat(out).doesNotExist();
	}

	@Test
	void aPointAfterEverythingRestoresTheLatestState() {
		// Litestream v0.3.13 answers "no matching backups" here (#564); we deliberately restore the
		// latest state, which is what the database looked like at that time.
		Path out = this.dir.resolve("future.db");
		RestoreResult result = restorer().restore(RestoreOptions.latest(out).asOf(Instant.now().plusSeconds(3600)));
		assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
		assertThat(rows(out)).isEqualTo(expected.get(BATCHES - 1));
	}

	@Test
	void litestreamTimestampRestoreOfTheSameReplicaAgrees() {
		// Only points that some object is newer than: for a later point Litestream v0.3.13 finds no
		// generation (timestamp > updatedAt) and fails, see aPointAfterEverythingRestoresTheLatestState.
		// Rounding up to the whole second keeps the point before the next batch (the pause is longer
		// than a second), so the comparison holds whether or not fractional seconds are honoured.
		List<Integer> compared = new ArrayList<>();
		Instant lastObject = lastObjectTime();
		for (int i = 0; i < BATCHES; i++) {
			Instant point = ceilToSecond(points.get(i));
			if (!point.isBefore(lastObject)) {
				continue;
			}
			Path ours = this.dir.resolve("ours-" + i + ".db");
			restorer().restore(RestoreOptions.latest(ours).asOf(point));
			Path theirs = this.dir.resolve("litestream-" + i + ".db");
			CommandResult result = LitestreamCli.restore(theirs, "file://" + replicaDir, null, "-timestamp",
					point.toString());
			assertThat(result.exitCode()).as(result.describe()).isZero();
			assertThat(rows(theirs)).as("Litestream as of batch %d", i).isEqualTo(expected.get(i));
			assertThat(rows(ours)).as("ours as of batch %d", i).isEqualTo(expected.get(i));
			compared.add(i);
		}
		assertThat(compared).as("points compared with Litestream").hasSizeGreaterThanOrEqualTo(BATCHES - 1);
	}

	@Test
	void upToAnIndexRestoresWholeBatchesLikeLitestream() throws Exception {
		List<WalSegmentInfo> segments = new FileReplicaClient(replicaDir).walSegments(generation);
		long lastIndex = segments.get(segments.size() - 1).index();
		assertThat(lastIndex).as("WAL restarts").isGreaterThanOrEqualTo(2);
		int previousBatches = 0;
		for (long index = firstSnapshot.index(); index <= lastIndex; index++) {
			Path ours = this.dir.resolve("ours-" + index + ".db");
			RestoreResult result = restorer().restore(RestoreOptions.latest(ours).upTo(generation, index));
			assertThat(result.plan().lastIndex()).isEqualTo(index);
			Path theirs = this.dir.resolve("litestream-" + index + ".db");
			CommandResult cli = LitestreamCli.restore(theirs, "file://" + replicaDir, null, "-generation", generation,
					"-index", ReplicaPaths.formatIndex(index));
			assertThat(cli.exitCode()).as(cli.describe()).isZero();
			List<String> rows = rows(ours);
			assertThat(rows).as("up to index %s, ours vs Litestream", index).isEqualTo(rows(theirs));
			// Transactions never straddle indexes, so an index boundary falls between whole batches,
			// and a later index never has fewer of them.
			int batches = wholeBatches(rows);
			assertThat(batches).as("whole batches up to index %s", index).isGreaterThanOrEqualTo(previousBatches);
			previousBatches = batches;
		}
		assertThat(previousBatches).as("batches up to the last index").isEqualTo(BATCHES);
	}

	@Test
	void upToAnIndexThatDoesNotExistFails() {
		Path out = this.dir.resolve("missing-index.db");
		assertThatThrownBy(() -> restorer().restore(RestoreOptions.latest(out).upTo(generation, 0x7000)))
			.isInstanceOf(LitestreamException.class)
			.hasMessageContaining("00007000")
			.hasMessageContaining(generation);
		assertThat(out).doesNotExist();
	}

	/** How many leading batches {@code rows} holds exactly; fails if it is not a prefix of whole batches. */
	private static int wholeBatches(List<String> rows) {
		if (rows.isEmpty()) {
			return 0;
		}
		for (int i = 0; i < BATCHES; i++) {
			if (expected.get(i).equals(rows)) {
				return i + 1;
			}
		}
		throw new AssertionError("restored rows are not whole batches 0..i: " + rows.size() + " rows");
	}

	private static Instant lastObjectTime() {
		try {
			FileReplicaClient client = new FileReplicaClient(replicaDir);
			Instant last = Instant.EPOCH;
			for (SnapshotInfo s : client.snapshots(generation)) {
				last = s.createdAt().isAfter(last) ? s.createdAt() : last;
			}
			for (WalSegmentInfo s : client.walSegments(generation)) {
				last = s.createdAt().isAfter(last) ? s.createdAt() : last;
			}
			return last;
		}
		catch (Exception ex) {
			throw new AssertionError(ex);
		}
	}

	private static Instant ceilToSecond(Instant t) {
		Instant floor = t.truncatedTo(ChronoUnit.SECONDS);
		return floor.equals(t) ? t : floor.plusSeconds(1);
	}

	private static Restorer restorer() {
		return new Restorer(new FileReplicaClient(replicaDir));
	}

	private static List<String> rows(Path db) {
		try {
			return TestDatabase.rows(db);
		}
		catch (Exception ex) {
			throw new AssertionError("cannot read " + db, ex);
		}
	}

	private static String integrity(Path db) {
		try {
			return TestDatabase.integrityCheck(db);
		}
		catch (Exception ex) {
			throw new AssertionError("cannot check " + db, ex);
		}
	}

}
