package io.github.litestreamspring.engine.replication;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.Database;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.replica.DelegatingReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.interop.CommandResult;
import io.github.litestreamspring.interop.LitestreamCli;
import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A generation's first snapshot goes up before any of its WAL, its index's catch-up follows in one
 * streamed segment of any size, and no point in time of the replica restores an inconsistent database
 * (ours and the real Litestream v0.3.13's {@code -timestamp}).
 */
class FirstSnapshotTests {

	private static final int PAGE = 4096;

	@TempDir
	Path dir;

	private DatabaseOptions options(Path db) {
		// No checkpoint of its own: the WAL of the first index grows large before the first snapshot.
		return DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(10))
			.withCheckpointPageCounts(100_000, 200_000, 0);
	}

	@Test
	void aFailedFirstSnapshotUploadLeavesNoGenerationWithWalButNoSnapshot() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		AtomicBoolean failSnapshots = new AtomicBoolean(true);
		DelegatingReplicaClient client = new DelegatingReplicaClient(new FileReplicaClient(replicaDir)) {
			@Override
			public SnapshotInfo writeSnapshot(String generation, long index, InputStream data) throws IOException {
				if (failSnapshots.get()) {
					data.readNBytes(1000);
					throw new IOException("injected: the snapshot upload broke off");
				}
				return super.writeSnapshot(generation, index, data);
			}
		};
		try (TestDatabase app = new TestDatabase(db); Database database = new Database(options(db))) {
			database.open();
			for (int batch = 0; batch < 20; batch++) {
				app.insertBatch(batch, 20, 500);
			}
			database.sync();
			Replica replica = new Replica(ReplicaOptions.defaults("file"), client);
			assertThatThrownBy(() -> replica.sync(database)).hasMessageContaining("injected");
			FileReplicaClient plain = new FileReplicaClient(replicaDir);
			for (String generation : plain.generations()) {
				assertThat(plain.walSegments(generation)).as("WAL of generation %s without a snapshot", generation)
					.isEmpty();
			}
			// The next attempt completes the generation: snapshot, then its WAL.
			failSnapshots.set(false);
			replica.resetPosition();
			replica.sync(database);
			Pos local = database.position();
			assertThat(replica.position()).isEqualTo(local);
			assertThat(plain.snapshots(local.generation())).hasSize(1);
			Path restored = this.dir.resolve("restored.db");
			new Restorer(plain).restore(RestoreOptions.latest(restored));
			assertThat(TestDatabase.rows(restored)).isEqualTo(app.rows());
		}
	}

	@Test
	void everyPointInTimeRestoresAStateTheDatabaseHad() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		FileReplicaClient files = new FileReplicaClient(replicaDir);
		// Object timestamps two seconds apart in upload order, so that each boundary is a distinct point
		// for both restorers, whole seconds included.
		Instant base = Instant.now().minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
		List<Instant> stamps = new ArrayList<>();
		DelegatingReplicaClient client = new DelegatingReplicaClient(files) {
			@Override
			public SnapshotInfo writeSnapshot(String generation, long index, InputStream data) throws IOException {
				super.writeSnapshot(generation, index, data);
				stamp(replicaDir.resolve(ReplicaPaths.snapshotPath("", generation, index)));
				return files.snapshots(generation).stream().filter((s) -> s.index() == index).findFirst().orElseThrow();
			}

			@Override
			public WalSegmentInfo writeWalSegment(Pos pos, InputStream data) throws IOException {
				WalSegmentInfo written = super.writeWalSegment(pos, data);
				stamp(replicaDir.resolve(
						ReplicaPaths.walSegmentPath("", pos.generation(), pos.index(), pos.offset())));
				return written;
			}

			private void stamp(Path object) throws IOException {
				Instant at = base.plusSeconds(2L * stamps.size());
				Files.setLastModifiedTime(object, FileTime.from(at));
				stamps.add(at);
			}
		};
		// Segments of at most four frames: a first snapshot's catch-up would be split many times over.
		ReplicaOptions replicaOptions = new ReplicaOptions("file", null, null, null, null, 4L * (24 + PAGE));
		List<List<String>> states = new ArrayList<>();
		try (TestDatabase app = new TestDatabase(db); Database database = new Database(options(db))) {
			database.open();
			states.add(app.rows());
			int batch = 0;
			// The first snapshot comes after much WAL, with rows updated as well as added, so that an
			// older WAL prefix replayed over it would put old versions of pages back.
			for (; batch < 30; batch++) {
				writeBatch(app, batch, states);
			}
			database.sync();
			Replica replica = new Replica(replicaOptions, client);
			replica.sync(database);
			for (int round = 0; round < 6; round++) {
				for (int i = 0; i < 2; i++, batch++) {
					writeBatch(app, batch, states);
				}
				database.sync();
				if (round == 3) {
					replica.snapshot(database);
				}
				replica.sync(database);
			}
			assertThat(replica.position()).isEqualTo(database.position());
		}
		String generation = files.generations().get(0);
		assertThat(files.snapshots(generation)).as("snapshots").hasSize(2);
		assertThat(files.walSegments(generation).size()).as("WAL segments").isGreaterThan(8);
		TreeSet<Instant> points = new TreeSet<>();
		for (Instant stamp : stamps) {
			points.add(stamp);
			points.add(stamp.minusSeconds(1));
		}
		points.remove(points.first()); // before the first object: nothing to restore
		List<String> previous = List.of();
		for (Instant point : points) {
			Path ours = this.dir.resolve("ours-" + point.getEpochSecond() + ".db");
			new Restorer(files).restore(RestoreOptions.latest(ours).asOf(point));
			assertThat(TestDatabase.integrityCheck(ours)).as("integrity as of %s", point).isEqualTo("ok");
			List<String> rows = TestDatabase.rows(ours);
			assertThat(states).as("rows as of %s are a state the database had", point).contains(rows);
			assertThat(states.indexOf(rows)).as("state as of %s", point)
				.isGreaterThanOrEqualTo(states.indexOf(previous));
			previous = rows;
			Path theirs = this.dir.resolve("litestream-" + point.getEpochSecond() + ".db");
			CommandResult result = LitestreamCli.restore(theirs, "file://" + replicaDir, null, "-timestamp",
					point.toString());
			assertThat(result.exitCode()).as(result.describe()).isZero();
			assertThat(TestDatabase.rows(theirs)).as("Litestream as of %s", point).isEqualTo(rows);
		}
		assertThat(previous).as("the last point").isEqualTo(states.get(states.size() - 1));
	}

	@Test
	void aLargeFirstCatchUpGoesToS3AsOneStreamedSegmentInParts() throws Exception {
		Path db = this.dir.resolve("app.db");
		S3ProxyServer server = S3ProxyServer.shared();
		server.createBucket("first-snapshot");
		S3ReplicaOptions s3Options = S3ReplicaOptions.defaults().withPartSize(S3ReplicaOptions.MIN_PART_SIZE);
		try (S3Client s3 = server.client(); TestDatabase app = new TestDatabase(db);
				Database database = new Database(options(db))) {
			S3ReplicaClient client = new S3ReplicaClient(s3, "first-snapshot", "app.db", s3Options);
			database.open();
			// About 12 MiB of WAL that LZ4 cannot shrink, in one index, before the first snapshot.
			try (var st = app.connection().createStatement()) {
				for (int i = 0; i < 6; i++) {
					st.executeUpdate("INSERT INTO t (batch, payload) SELECT " + i + ", hex(randomblob(2000)) "
							+ "FROM (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 500) "
							+ "SELECT x FROM n)");
				}
			}
			database.sync();
			// Other segments are capped at 1 MiB: without the rule the catch-up would go in a dozen.
			Replica replica = new Replica(new ReplicaOptions("s3", null, null, null, null, 1024 * 1024), client);
			replica.sync(database);
			Pos local = database.position();
			assertThat(replica.position()).isEqualTo(local);
			List<WalSegmentInfo> segments = client.walSegments(local.generation());
			assertThat(segments).singleElement().satisfies((segment) -> {
				assertThat(segment.pos()).isEqualTo(new Pos(local.generation(), 0, 0));
				assertThat(segment.size()).as("compressed size: uploaded in parts")
					.isGreaterThan(2L * S3ReplicaOptions.MIN_PART_SIZE);
			});
			assertThat(client.snapshots(local.generation()).get(0).createdAt())
				.isBeforeOrEqualTo(segments.get(0).createdAt());
			Path restored = this.dir.resolve("restored.db");
			new Restorer(client).restore(RestoreOptions.latest(restored));
			assertThat(TestDatabase.rows(restored)).isEqualTo(app.rows());
		}
	}

	/** Adds rows, then rewrites some earlier ones; records the state after each of the two transactions. */
	private static void writeBatch(TestDatabase app, int batch, List<List<String>> states) throws Exception {
		app.insertBatch(batch, 20, 500);
		states.add(app.rows());
		try (var st = app.connection().createStatement()) {
			st.executeUpdate("UPDATE t SET payload = payload || '" + batch + "' WHERE id IN (" + (batch % 20 + 1) + ", "
					+ (batch % 20 + 21) + ")");
		}
		states.add(app.rows());
	}

}
