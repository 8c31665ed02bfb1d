package io.github.litestreamspring.engine.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.CheckpointMode;
import io.github.litestreamspring.engine.db.DatabaseOptions;
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
 * Restoring from a damaged replica must fail loudly, naming the object at fault, and leave nothing
 * behind; it must never produce a database that silently lacks data. Each case damages a fresh copy
 * of one healthy replica whose generation has a snapshot at index S and WAL indexes S..S+3, each of
 * several segments (one per synced batch).
 */
class DamagedReplicaTests {

	/** Batches written into each WAL index, each synced on its own so it becomes its own segment. */
	private static final int BATCHES_PER_INDEX = 4;

	private static final int INDEXES = 4;

	@TempDir
	static Path shared;

	@TempDir
	Path dir;

	private static Path healthy;

	private static String generation;

	private static SnapshotInfo snapshot;

	/** The healthy replica's segments by index, each list in offset order. */
	private static Map<Long, List<WalSegmentInfo>> segments;

	private static List<String> expected;

	@BeforeAll
	static void replicateSeveralIndexesOfSeveralSegments() throws Exception {
		Path db = shared.resolve("app.db");
		healthy = shared.resolve("replica");
		// Thresholds far above what the test writes: WAL restarts happen only where it asks for them.
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(20), Duration.ofMinutes(10))
			.withCheckpointPageCounts(1000, 10_000, 0);
		Replica replica = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(20)),
				new FileReplicaClient(healthy));
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = new Replicator(options, List.of(replica))) {
			replicator.start();
			int batch = 0;
			for (int index = 0; index < INDEXES; index++) {
				if (index > 0) {
					boolean restarted = replicator
						.callOnReplicationThread(() -> replicator.database().checkpoint(CheckpointMode.RESTART));
					assertThat(restarted).as("WAL restart %d", index).isTrue();
					replicator.syncNow();
				}
				for (int i = 0; i < BATCHES_PER_INDEX; i++) {
					app.insertBatch(batch++, 5, 300);
					replicator.syncNow();
				}
			}
			expected = app.rows();
		}
		FileReplicaClient client = new FileReplicaClient(healthy);
		generation = client.generations().get(0);
		// These cases damage the segments, the objects Litestream reads too. The compacted WAL of the
		// sealed indexes holds the same bytes and would let our restore of the latest state route around
		// such damage (CompactedWalTests covers that, and damage to the compacted WAL itself): without it
		// every restore reads the segments.
		assertThat(client.compactedWals(generation)).as("compacted WAL of the sealed indexes").isNotEmpty();
		org.springframework.util.FileSystemUtils
			.deleteRecursively(healthy.resolve(ReplicaPaths.compactedPath("", generation)));
		List<SnapshotInfo> snapshots = client.snapshots(generation);
		assertThat(snapshots).hasSize(1);
		snapshot = snapshots.get(0);
		segments = new TreeMap<>();
		for (WalSegmentInfo s : client.walSegments(generation)) {
			if (s.index() >= snapshot.index()) {
				segments.computeIfAbsent(s.index(), i -> new ArrayList<>()).add(s);
			}
		}
		assertThat(segments.keySet()).as("WAL indexes from the snapshot on").hasSize(INDEXES);
		for (List<WalSegmentInfo> perIndex : segments.values()) {
			assertThat(perIndex).as("segments of an index").hasSizeGreaterThanOrEqualTo(BATCHES_PER_INDEX);
		}
		// The healthy replica itself restores, with both implementations.
		Path ours = shared.resolve("healthy-ours.db");
		new Restorer(client).restore(RestoreOptions.latest(ours));
		assertThat(TestDatabase.rows(ours)).isEqualTo(expected);
		Path theirs = shared.resolve("healthy-litestream.db");
		CommandResult result = LitestreamCli.restore(theirs, "file://" + healthy, null);
		assertThat(result.exitCode()).as(result.describe()).isZero();
		assertThat(TestDatabase.rows(theirs)).isEqualTo(expected);
	}

	@Test
	void truncatedWalSegmentFailsNamingIt() throws Exception {
		Path replica = copyOfReplica();
		WalSegmentInfo victim = middleSegment(index(1));
		Path file = object(replica, victim);
		byte[] bytes = Files.readAllBytes(file);
		Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
		assertRestoreFails(replica, name(victim));
		CommandResult litestream = LitestreamCli.restore(this.dir.resolve("litestream.db"), "file://" + replica, null);
		assertThat(litestream.exitCode()).as(litestream.describe()).isNotZero();
	}

	@Test
	void flippedByteInsideTheLz4PayloadFailsNamingTheSegment() throws Exception {
		Path replica = copyOfReplica();
		WalSegmentInfo victim = middleSegment(index(1));
		Path file = object(replica, victim);
		byte[] bytes = Files.readAllBytes(file);
		// Past the 7-byte frame header and the 4-byte block size, before the end mark and checksum.
		int position = 11 + (bytes.length - 11 - 8) / 2;
		bytes[position] ^= 0x5a;
		Files.write(file, bytes);
		assertRestoreFails(replica, name(victim));
	}

	@Test
	void missingMiddleSegmentOfAnIndexFailsInsteadOfDroppingItsLaterFrames() throws Exception {
		Path replica = copyOfReplica();
		List<WalSegmentInfo> perIndex = segments.get(index(1));
		int middle = perIndex.size() / 2;
		Files.delete(object(replica, perIndex.get(middle)));
		// The gap is detected at the segment after it, which no longer starts where the index ends.
		assertRestoreFails(replica, "missing WAL segment", name(perIndex.get(middle + 1)));
	}

	@Test
	void litestreamSilentlyRestoresTooLittleWhenAMiddleSegmentIsMissingButWeFail() throws Exception {
		// Litestream v0.3.13 never checks that an index's segments are contiguous: it concatenates what
		// it finds, and SQLite's WAL recovery stops at the broken checksum chain, silently dropping every
		// later frame of that index. In the last index that loses the last transactions, exit code 0.
		Path replica = copyOfReplica();
		List<WalSegmentInfo> last = segments.get(index(INDEXES - 1));
		WalSegmentInfo victim = last.get(last.size() - 2);
		Files.delete(object(replica, victim));
		Path theirs = this.dir.resolve("litestream.db");
		CommandResult litestream = LitestreamCli.restore(theirs, "file://" + replica, null);
		assertThat(litestream.exitCode()).as(litestream.describe()).isZero();
		List<String> rows = TestDatabase.rows(theirs);
		assertThat(rows).as("Litestream's rows").hasSizeLessThan(expected.size());
		assertThat(expected).startsWith(rows.toArray(String[]::new));
		Files.delete(theirs);
		assertRestoreFails(replica, "missing WAL segment", name(last.get(last.size() - 1)));
	}

	@Test
	void missingFirstSegmentOfAnIndexAboveTheSnapshotFailsNamingIt() throws Exception {
		Path replica = copyOfReplica();
		WalSegmentInfo victim = segments.get(index(1)).get(0);
		assertThat(victim.offset()).isZero();
		Files.delete(object(replica, victim));
		assertRestoreFails(replica, "missing WAL segment", name(victim));
	}

	@Test
	void missingWholeIndexBetweenSnapshotAndLastFailsNamingIt() throws Exception {
		Path replica = copyOfReplica();
		long missing = index(2);
		for (WalSegmentInfo s : segments.get(missing)) {
			Files.delete(object(replica, s));
		}
		assertRestoreFails(replica, "missing WAL index " + ReplicaPaths.formatIndex(missing), generation);
		CommandResult litestream = LitestreamCli.restore(this.dir.resolve("litestream.db"), "file://" + replica, null);
		assertThat(litestream.exitCode()).as(litestream.describe()).isNotZero();
		assertThat(litestream.stderr() + litestream.stdout()).contains("missing WAL index");
	}

	@Test
	void generationWithoutSnapshotFailsNamingItEvenIfReplicaExistsIsSet() throws Exception {
		Path replica = copyOfReplica();
		Files.delete(replica.resolve(ReplicaPaths.snapshotPath("", generation, snapshot.index())));
		String snapshots = ReplicaPaths.snapshotsPath("", generation);
		assertRestoreFails(replica, "no snapshot", snapshots);
		// Not "no backup": that would let an application start empty over a replica that still holds
		// its WAL. Litestream v0.3.13 also fails here, even with -if-replica-exists.
		Restorer restorer = new Restorer(new FileReplicaClient(replica));
		assertThatThrownBy(() -> restorer.restore(RestoreOptions.latest(output()).withIfReplicaExists(true)))
			.isInstanceOf(LitestreamException.class)
			.hasMessageContaining(snapshots);
		assertNothingWritten();
		CommandResult litestream = LitestreamCli.restore(this.dir.resolve("litestream.db"), "file://" + replica, null,
				"-if-replica-exists");
		assertThat(litestream.exitCode()).as(litestream.describe()).isNotZero();
		assertThat(litestream.stderr() + litestream.stdout()).contains("no snapshots available");
	}

	@Test
	void truncatedSnapshotFailsNamingIt() throws Exception {
		Path replica = copyOfReplica();
		Path file = replica.resolve(ReplicaPaths.snapshotPath("", generation, snapshot.index()));
		byte[] bytes = Files.readAllBytes(file);
		Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 20));
		assertRestoreFails(replica, ReplicaPaths.snapshotPath("", generation, snapshot.index()));
	}

	@Test
	void foreignFilesInTheReplicaTreeAreIgnored() throws Exception {
		Path replica = copyOfReplica();
		Path gen = replica.resolve(ReplicaPaths.generationPath("", generation));
		Files.writeString(gen.resolve("wal/notes.txt"), "not a segment");
		Files.writeString(gen.resolve("snapshots/readme"), "not a snapshot");
		Files.writeString(gen.resolve("wal/" + ReplicaPaths.walSegmentName(index(3), 1 << 20) + ".tmp"), "upload");
		Files.createDirectories(replica.resolve("generations/xyz"));
		Files.writeString(replica.resolve("generations/xyz/0000000000000000"), "junk");
		Files.createDirectories(replica.resolve("generations/FEDCBA9876543210/snapshots"));
		Files.writeString(replica.resolve("generations/notes.txt"), "junk");
		RestoreResult result = new Restorer(new FileReplicaClient(replica)).restore(RestoreOptions.latest(output()));
		assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
		assertThat(result.plan().generation()).isEqualTo(generation);
		assertThat(TestDatabase.rows(output())).isEqualTo(expected);
		assertThat(TestDatabase.integrityCheck(output())).isEqualTo("ok");
	}

	@Test
	void segmentWithValidLz4ButFramesOfAnotherSegmentFailsNamingIt() throws Exception {
		Path replica = copyOfReplica();
		// Two segments after the first of their index, holding the same number of WAL bytes: swapped,
		// every offset still lines up, so only the frames themselves (salts, checksum chain) tell.
		WalSegmentInfo[] pair = equalLengthPair();
		Path a = object(replica, pair[0]);
		Path b = object(replica, pair[1]);
		byte[] bytesA = Files.readAllBytes(a);
		Files.write(a, Files.readAllBytes(b));
		Files.write(b, bytesA);
		// Indexes are applied in order, so the earlier of the two is the one reported.
		assertRestoreFails(replica, name(pair[0]));
	}

	@Test
	void existingOutputFailsUnlessIfDbNotExists() throws Exception {
		Path out = output();
		Files.createDirectories(out.getParent());
		Files.writeString(out, "precious");
		FileTime modified = FileTime.fromMillis(1_000_000_000_000L);
		Files.setLastModifiedTime(out, modified);
		Restorer restorer = new Restorer(new FileReplicaClient(healthy));
		assertThatThrownBy(() -> restorer.restore(RestoreOptions.latest(out)))
			.isInstanceOf(LitestreamException.class)
			.hasMessageContaining(out.toString())
			.hasMessageContaining("exists");
		RestoreResult result = restorer.restore(RestoreOptions.latest(out).withIfDbNotExists(true));
		assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.DATABASE_EXISTS);
		assertThat(Files.readString(out)).isEqualTo("precious");
		assertThat(Files.getLastModifiedTime(out)).isEqualTo(modified);
		try (Stream<Path> files = Files.list(out.getParent())) {
			assertThat(files.map(p -> p.getFileName().toString())).containsExactly(out.getFileName().toString());
		}
	}

	// ---- helpers ----------------------------------------------------------------------------------

	/** The snapshot's index plus {@code n}. */
	private static long index(int n) {
		return snapshot.index() + n;
	}

	private static WalSegmentInfo middleSegment(long index) {
		List<WalSegmentInfo> perIndex = segments.get(index);
		return perIndex.get(perIndex.size() / 2);
	}

	private static WalSegmentInfo[] equalLengthPair() {
		List<WalSegmentInfo> candidates = new ArrayList<>();
		Map<WalSegmentInfo, Long> lengths = new java.util.HashMap<>();
		for (List<WalSegmentInfo> perIndex : segments.values()) {
			// The decompressed length of a segment is where the next one starts; the last has no next.
			for (int i = 1; i < perIndex.size() - 1; i++) {
				candidates.add(perIndex.get(i));
				lengths.put(perIndex.get(i), perIndex.get(i + 1).offset() - perIndex.get(i).offset());
			}
		}
		candidates.sort(Comparator.comparingLong(WalSegmentInfo::index).thenComparingLong(WalSegmentInfo::offset));
		for (int i = 0; i < candidates.size(); i++) {
			for (int j = i + 1; j < candidates.size(); j++) {
				if (lengths.get(candidates.get(i)).equals(lengths.get(candidates.get(j)))) {
					return new WalSegmentInfo[] { candidates.get(i), candidates.get(j) };
				}
			}
		}
		throw new AssertionError("no two segments of equal length in " + lengths.values());
	}

	private static String name(WalSegmentInfo s) {
		return ReplicaPaths.walSegmentPath("", generation, s.index(), s.offset());
	}

	private static Path object(Path replica, WalSegmentInfo s) {
		return replica.resolve(name(s));
	}

	private Path output() {
		return this.dir.resolve("out").resolve("restored.db");
	}

	private Path copyOfReplica() throws IOException {
		Path copy = this.dir.resolve("replica");
		try (Stream<Path> files = Files.walk(healthy)) {
			for (Path source : files.sorted().toList()) {
				Path target = copy.resolve(healthy.relativize(source).toString());
				if (Files.isDirectory(source)) {
					Files.createDirectories(target);
				}
				else {
					Files.copy(source, target);
				}
			}
		}
		return copy;
	}

	/** Restoring fails with a message holding every one of {@code parts}, leaving no file behind. */
	private void assertRestoreFails(Path replica, String... parts) throws IOException {
		Restorer restorer = new Restorer(new FileReplicaClient(replica));
		assertThatThrownBy(() -> restorer.restore(RestoreOptions.latest(output())))
			.isInstanceOf(LitestreamException.class)
			.satisfies(ex -> {
				for (String part : parts) {
					assertThat(ex.getMessage()).contains(part);
				}
			});
		assertNothingWritten();
	}

	private void assertNothingWritten() throws IOException {
		Path out = output().getParent();
		if (Files.exists(out)) {
			try (Stream<Path> files = Files.list(out)) {
				assertThat(files.map(p -> p.getFileName().toString())).as("files left in %s", out).isEmpty();
			}
		}
	}

}
