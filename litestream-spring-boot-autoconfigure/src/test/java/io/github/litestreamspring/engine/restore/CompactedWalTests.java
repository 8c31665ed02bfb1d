package io.github.litestreamspring.engine.restore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.FileSystemUtils;

import io.github.litestreamspring.engine.CompactedWalInfo;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.lz4.Lz4Frames;
import io.github.litestreamspring.engine.replica.DelegatingReplicaClient;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.interop.CommandResult;
import io.github.litestreamspring.interop.LitestreamCli;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The compacted WAL of sealed indexes (issue #16, item 1): the replicator writes one object per sealed
 * index holding exactly its segments' bytes; a restore reads those objects instead of the segments
 * wherever it takes a whole index, gets the same database as from the segments alone for every target
 * (latest, an index, a position, a time), falls back to the segments when a compacted object is
 * damaged, and Litestream v0.3.13 still restores the replica.
 */
class CompactedWalTests {

	private static final int COMMITS = 36;

	@TempDir
	static Path shared;

	@TempDir
	Path dir;

	private static Path replicaDir;

	/** The same replica without its compacted WAL: what every restore must agree with. */
	private static Path fineOnlyDir;

	private static String generation;

	/** The position after each commit was shipped, and a time after it. */
	private static final List<Pos> positions = new ArrayList<>();

	private static final List<Instant> times = new ArrayList<>();

	private static List<String> finalRows;

	@BeforeAll
	static void replicateManySmallCommits() throws Exception {
		Path db = shared.resolve("app.db");
		replicaDir = shared.resolve("replica");
		// A checkpoint once the WAL holds 4 pages: the WAL restarts every few commits, each commit its own
		// segment, so the replica has many indexes of several segments each.
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(20), Duration.ofMinutes(1))
			.withCheckpointPageCounts(4, 16, 0);
		Replica replica = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMinutes(1)),
				new FileReplicaClient(replicaDir));
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = new Replicator(options, List.of(replica))) {
			replicator.start();
			for (int i = 0; i < COMMITS; i++) {
				app.insertOne(i, 1500);
				Pos pos = replicator.syncNow();
				generation = pos.generation();
				positions.add(pos);
				if (i % 12 == 11) {
					// Whole-second file times: a pause makes some times fall between commits' objects.
					Thread.sleep(1100);
					times.add(Instant.now());
					Thread.sleep(1100);
				}
			}
			finalRows = app.rows();
		}
		fineOnlyDir = shared.resolve("fine-only");
		// File times are the objects' times: the copy keeps them.
		try (java.util.stream.Stream<Path> files = Files.walk(replicaDir)) {
			for (Path p : files.toList()) {
				Path target = fineOnlyDir.resolve(replicaDir.relativize(p).toString());
				if (!p.toString().contains("/compacted")) {
					Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
				}
			}
		}
		assertThat(Files.exists(fineOnlyDir.resolve(ReplicaPaths.walPath("", generation)))).isTrue();
	}

	@Test
	void everySealedIndexHasOneCompactedObjectHoldingExactlyItsSegments() throws Exception {
		FileReplicaClient client = new FileReplicaClient(replicaDir);
		List<WalSegmentInfo> segments = client.walSegments(generation);
		long lastIndex = segments.get(segments.size() - 1).index();
		List<CompactedWalInfo> compacted = client.compactedWals(generation);
		assertThat(lastIndex).as("WAL restarts").isGreaterThanOrEqualTo(5);
		assertThat(compacted).filteredOn(CompactedWalInfo::sealed)
			.extracting(CompactedWalInfo::index)
			.as("every index but the last, which is not sealed")
			.containsExactlyElementsOf(java.util.stream.LongStream.range(0, lastIndex).boxed().toList());
		assertThat(segments.stream().filter((s) -> s.index() < lastIndex).count()).as("segments in sealed indexes")
			.isGreaterThanOrEqualTo(2L * lastIndex);
		assertHoldsExactlyTheirSegments(client, generation, compacted);
	}

	@Test
	void anUnsealedIndexOfManyCommitsIsReadInRunsOfSegments() throws Exception {
		Path db = this.dir.resolve("busy.db");
		Path replica = this.dir.resolve("busy-replica");
		// No checkpoint: every commit stays in the first index, which is never sealed.
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(20), Duration.ofMinutes(10))
			.withCheckpointPageCounts(100_000, 0, 0);
		int commits = 2 * 64 + 21;
		List<String> rows;
		try (TestDatabase app = new TestDatabase(db);
				Replicator replicator = new Replicator(options, List.of(new Replica(
						ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMinutes(10)),
						new FileReplicaClient(replica))))) {
			replicator.start();
			for (int i = 0; i < commits; i++) {
				app.insertOne(i, 200);
				replicator.syncNow();
			}
			rows = app.rows();
		}
		FileReplicaClient files = new FileReplicaClient(replica);
		String gen = files.generations().get(0);
		List<CompactedWalInfo> compacted = files.compactedWals(gen);
		assertThat(compacted).as("runs of 64 segments, none sealed").hasSize(2).noneMatch(CompactedWalInfo::sealed);
		assertHoldsExactlyTheirSegments(files, gen, compacted);
		CountingClient client = new CountingClient(files);
		Path out = this.dir.resolve("busy-restored.db");
		RestoreResult result = new Restorer(client).restore(RestoreOptions.latest(out));
		assertThat(TestDatabase.rows(out)).isEqualTo(rows);
		assertThat(client.compactedGets.get()).isEqualTo(2);
		int segments = files.walSegments(gen).size();
		assertThat(segments).as("one segment per commit, and the table's").isGreaterThanOrEqualTo(commits);
		assertThat(client.segmentGets.get()).as("segment GETs after the runs").isEqualTo(segments - 2 * 64);
		assertThat(result.plan().segments()).hasSize(2 + segments - 2 * 64);
	}

	private static void assertHoldsExactlyTheirSegments(FileReplicaClient client, String generation,
			List<CompactedWalInfo> compacted) throws IOException {
		List<WalSegmentInfo> segments = client.walSegments(generation);
		for (CompactedWalInfo c : compacted) {
			java.io.ByteArrayOutputStream concatenated = new java.io.ByteArrayOutputStream();
			for (WalSegmentInfo s : segments) {
				if (s.index() == c.index() && s.offset() >= c.start() && s.offset() < c.end()) {
					concatenated.write(decode(client.openWalSegment(s.pos())));
				}
			}
			byte[] bytes = decode(client.openCompactedWal(c));
			assertThat(bytes).as("compacted %s", c).isEqualTo(concatenated.toByteArray());
			assertThat((long) bytes.length).as("its name's range").isEqualTo(c.end() - c.start());
		}
	}

	@Test
	void theLatestStateReadsOneObjectPerCompactedIndexAndTheSegmentsOfTheRest() throws Exception {
		CountingClient client = new CountingClient(new FileReplicaClient(replicaDir));
		Path out = this.dir.resolve("latest.db");
		RestoreResult result = new Restorer(client).restore(RestoreOptions.latest(out));
		assertThat(TestDatabase.rows(out)).isEqualTo(finalRows);
		assertThat(TestDatabase.integrityCheck(out)).isEqualTo("ok");
		RestorePlan plan = result.plan();
		long compactedInPlan = plan.compacted().size();
		assertThat(compactedInPlan).as("compacted indexes read").isGreaterThanOrEqualTo(4);
		assertThat(client.compactedGets.get()).isEqualTo(compactedInPlan);
		List<WalSegmentInfo> all = new FileReplicaClient(replicaDir).walSegments(generation);
		long lastIndex = all.get(all.size() - 1).index();
		long tail = all.stream().filter((s) -> s.index() == lastIndex).count();
		assertThat(client.segmentGets.get()).as("segment GETs: only the unsealed last index's").isEqualTo(tail);
		assertThat(client.fullListings.get()).as("listings of every segment").isZero();
	}

	@Test
	void everyTargetRestoresTheSameDatabaseAsFromTheSegmentsAlone() throws Exception {
		List<RestoreOptions> targets = new ArrayList<>();
		List<String> names = new ArrayList<>();
		for (int i = 0; i < positions.size(); i += 5) {
			Pos p = positions.get(i);
			names.add("position " + p);
			targets.add(RestoreOptions.latest(this.dir.resolve("p" + i + ".db")).upTo(p));
			names.add("index " + p.index());
			targets.add(RestoreOptions.latest(this.dir.resolve("i" + i + ".db")).upTo(generation, p.index()));
		}
		for (int i = 0; i < times.size(); i++) {
			names.add("time " + times.get(i));
			targets.add(RestoreOptions.latest(this.dir.resolve("t" + i + ".db")).asOf(times.get(i)));
		}
		int usedCompacted = 0;
		for (int t = 0; t < targets.size(); t++) {
			RestoreOptions withCompacted = targets.get(t);
			Path fine = this.dir.resolve("fine-" + t + ".db");
			RestoreOptions fromSegments = new RestoreOptions(fine, withCompacted.generation(), withCompacted.index(),
					withCompacted.timestamp(), withCompacted.parallelism(), false, false, false,
					withCompacted.upToPosition());
			RestoreResult ours = new Restorer(new FileReplicaClient(replicaDir)).restore(withCompacted);
			RestoreResult reference = new Restorer(new FileReplicaClient(fineOnlyDir)).restore(fromSegments);
			assertThat(reference.plan().compacted()).isEmpty();
			assertThat(TestDatabase.rows(withCompacted.outputPath())).as(names.get(t))
				.isEqualTo(TestDatabase.rows(fine));
			assertThat(ours.position()).as(names.get(t)).isEqualTo(reference.position());
			usedCompacted += ours.plan().compacted().isEmpty() ? 0 : 1;
		}
		assertThat(usedCompacted).as("targets served from compacted WAL").isGreaterThanOrEqualTo(targets.size() / 2);
	}

	@Test
	void aDamagedCompactedObjectFallsBackToTheSegments() throws Exception {
		assertFallsBack("cut", (copy, c) -> {
			Path object = copy.resolve(ReplicaPaths.compactedWalPath("", c));
			Files.write(object, java.util.Arrays.copyOf(Files.readAllBytes(object), (int) Files.size(object) / 2));
		});
	}

	@Test
	void aCompactedObjectWhoseNameClaimsAnotherEndFallsBackToTheSegments() throws Exception {
		assertFallsBack("misnamed", (copy, c) -> Files.move(copy.resolve(ReplicaPaths.compactedWalPath("", c)),
				copy.resolve(ReplicaPaths.compactedWalPath("", new CompactedWalInfo(c.generation(), c.index(), 0,
						c.end() - 4152, true, c.size(), c.createdAt())))));
	}

	@Test
	void anIndexWhoseSealedObjectWasNeverWrittenIsReadFromItsSegments() throws Exception {
		// What a kill -9 between an index's sealing and its compacted upload leaves: a hole in the
		// compacted WAL, filled by listing that one index's segments.
		Path copy = this.dir.resolve("hole");
		FileSystemUtils.copyRecursively(replicaDir, copy);
		FileReplicaClient files = new FileReplicaClient(copy);
		CompactedWalInfo missing = files.compactedWals(generation).stream().filter(CompactedWalInfo::sealed).toList()
			.get(2);
		Files.delete(copy.resolve(ReplicaPaths.compactedWalPath("", missing)));
		CountingClient client = new CountingClient(files);
		Path out = this.dir.resolve("hole.db");
		RestoreResult result = new Restorer(client).restore(RestoreOptions.latest(out));
		assertThat(TestDatabase.rows(out)).isEqualTo(finalRows);
		assertThat(result.plan().compacted().values()).extracting(CompactedWalInfo::index)
			.doesNotContain(missing.index())
			.isNotEmpty();
		assertThat(result.plan().segmentsByIndex().get(missing.index()))
			.as("the index's own segments")
			.isEqualTo(files.walSegmentsInIndex(generation, missing.index()));
		assertThat(client.fullListings.get()).as("listings of every segment").isZero();
	}

	@Test
	void aDamagedSegmentOfASealedIndexDoesNotStopTheLatestRestore() throws Exception {
		Path copy = this.dir.resolve("segment-damaged");
		FileSystemUtils.copyRecursively(replicaDir, copy);
		FileReplicaClient client = new FileReplicaClient(copy);
		CompactedWalInfo sealed = client.compactedWals(generation).stream().filter(CompactedWalInfo::sealed).toList()
			.get(1);
		WalSegmentInfo segment = client.walSegmentsInIndex(generation, sealed.index()).get(1);
		Path object = copy.resolve(ReplicaPaths.walSegmentPath("", generation, segment.index(), segment.offset()));
		Files.write(object, new byte[] { 1, 2, 3 });
		Path out = this.dir.resolve("segment-damaged.db");
		RestoreResult result = new Restorer(client).restore(RestoreOptions.latest(out));
		assertThat(TestDatabase.rows(out)).isEqualTo(finalRows);
		assertThat(result.plan().compacted()).containsValue(sealed);
	}

	private void assertFallsBack(String name, Damage damage) throws Exception {
		Path copy = this.dir.resolve(name);
		FileSystemUtils.copyRecursively(replicaDir, copy);
		FileReplicaClient client = new FileReplicaClient(copy);
		damage.apply(copy, client.compactedWals(generation).stream().filter(CompactedWalInfo::sealed).toList().get(2));
		Path out = this.dir.resolve(name + ".db");
		RestoreResult result = new Restorer(client).restore(RestoreOptions.latest(out));
		assertThat(TestDatabase.rows(out)).isEqualTo(finalRows);
		assertThat(result.plan().compacted()).as("the plan restored from").isEmpty();
	}

	private interface Damage {

		void apply(Path replica, CompactedWalInfo object) throws IOException;

	}

	@Test
	void litestreamRestoresTheReplicaWithItsCompactedWal() throws Exception {
		Path theirs = this.dir.resolve("litestream.db");
		CommandResult result = LitestreamCli.restore(theirs, "file://" + replicaDir, null);
		assertThat(result.exitCode()).as(result.describe()).isZero();
		assertThat(TestDatabase.rows(theirs)).isEqualTo(finalRows);
		Path asOf = this.dir.resolve("litestream-as-of.db");
		Path ours = this.dir.resolve("ours-as-of.db");
		// Rounded up to the second (the pause after it is longer): whole-second parsing cannot move it.
		Instant time = Instant.ofEpochSecond(times.get(0).getEpochSecond() + 1);
		CommandResult timed = LitestreamCli.restore(asOf, "file://" + replicaDir, null, "-timestamp", time.toString());
		assertThat(timed.exitCode()).as(timed.describe()).isZero();
		new Restorer(new FileReplicaClient(replicaDir)).restore(RestoreOptions.latest(ours).asOf(time));
		assertThat(TestDatabase.rows(asOf)).as("Litestream -timestamp").isEqualTo(TestDatabase.rows(ours)).hasSize(12);
	}

	private static byte[] decode(InputStream stored) throws IOException {
		try (InputStream in = Lz4Frames.decompressingStream(stored)) {
			return in.readAllBytes();
		}
	}

	/** Counts what a restore reads. */
	private static final class CountingClient extends DelegatingReplicaClient {

		final AtomicInteger segmentGets = new AtomicInteger();

		final AtomicInteger compactedGets = new AtomicInteger();

		final AtomicInteger fullListings = new AtomicInteger();

		CountingClient(ReplicaClient delegate) {
			super(delegate);
		}

		@Override
		public List<WalSegmentInfo> walSegments(String generation) throws IOException {
			this.fullListings.incrementAndGet();
			return super.walSegments(generation);
		}

		@Override
		public InputStream openWalSegment(Pos pos) throws IOException {
			this.segmentGets.incrementAndGet();
			return super.openWalSegment(pos);
		}

		@Override
		public InputStream openCompactedWal(CompactedWalInfo wal) throws IOException {
			this.compactedGets.incrementAndGet();
			return super.openCompactedWal(wal);
		}

	}

}
