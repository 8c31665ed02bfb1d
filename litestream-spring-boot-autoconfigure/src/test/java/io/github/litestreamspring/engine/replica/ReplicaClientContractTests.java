package io.github.litestreamspring.engine.replica;

import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.github.litestreamspring.engine.CompactedWalInfo;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

/**
 * What every {@link ReplicaClient} must do, run against each implementation: each subclass gives a
 * fresh, empty replica per test and a way to drop foreign objects into it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class ReplicaClientContractTests {

	protected static final String GEN = "0123456789abcdef";

	protected static final String GEN2 = "fedcba9876543210";

	protected ReplicaClient client;

	/** A new client on an empty replica root, unique to the calling test. */
	protected abstract ReplicaClient newClient() throws Exception;

	/** Stores raw bytes at {@code <root>/<relativeKey>}, bypassing the client. */
	protected abstract void writeForeignObject(String relativeKey, byte[] data) throws Exception;

	/** Size of the streamed large-object test; above any multipart threshold. */
	protected long largeObjectSize() {
		return 20L * 1024 * 1024 + 12345;
	}

	@BeforeEach
	void openClient() throws Exception {
		this.client = newClient();
	}

	@AfterEach
	void closeClient() throws Exception {
		if (this.client != null) {
			this.client.close();
		}
	}

	@Test
	void writesAndReadsBackSnapshot() throws IOException {
		SnapshotInfo info = this.client.writeSnapshot(GEN, 7, bytes("snapshot-7"));

		assertThat(info.generation()).isEqualTo(GEN);
		assertThat(info.index()).isEqualTo(7);
		assertThat(info.size()).isEqualTo(10);
		assertThat(read(this.client.openSnapshot(GEN, 7))).isEqualTo("snapshot-7");
		assertThat(this.client.snapshots(GEN)).singleElement()
			.satisfies((s) -> assertThat(s.pos()).isEqualTo(new Pos(GEN, 7, 0)))
			.satisfies((s) -> assertThat(s.size()).isEqualTo(10));
	}

	@Test
	void writesAndReadsBackWalSegments() throws IOException {
		WalSegmentInfo first = this.client.writeWalSegment(new Pos(GEN, 1, 0), bytes("first"));
		this.client.writeWalSegment(new Pos(GEN, 1, 4152), bytes("second!"));

		assertThat(first.pos()).isEqualTo(new Pos(GEN, 1, 0));
		assertThat(first.size()).isEqualTo(5);
		assertThat(read(this.client.openWalSegment(new Pos(GEN, 1, 0)))).isEqualTo("first");
		assertThat(read(this.client.openWalSegment(new Pos(GEN, 1, 4152)))).isEqualTo("second!");
		assertThat(this.client.walSegments(GEN)).extracting(WalSegmentInfo::offset, WalSegmentInfo::size)
			.containsExactly(org.assertj.core.groups.Tuple.tuple(0L, 5L), org.assertj.core.groups.Tuple.tuple(4152L, 7L));
	}

	@Test
	void writesListsReadsAndDeletesCompactedWalBesideTheSegments() throws IOException {
		this.client.writeWalSegment(new Pos(GEN, 0x10, 0), bytes("a"));
		this.client.writeWalSegment(new Pos(GEN, 0x10, 4152), bytes("b"));
		this.client.writeWalSegment(new Pos(GEN, 0x11, 0), bytes("c"));
		this.client.writeWalSegment(new Pos(GEN, 0x1, 0), bytes("d"));
		CompactedWalInfo written = this.client.writeCompactedWal(new Pos(GEN, 0x10, 0), 8304, true, bytes("ab"));
		this.client.writeCompactedWal(new Pos(GEN, 0x2, 4152), 8304, false, bytes("x"));

		assertThat(written).extracting(CompactedWalInfo::index, CompactedWalInfo::start, CompactedWalInfo::end,
				CompactedWalInfo::sealed, CompactedWalInfo::size)
			.containsExactly(0x10L, 0L, 8304L, true, 2L);
		assertThat(this.client.compactedWals(GEN))
			.extracting(CompactedWalInfo::index, CompactedWalInfo::start, CompactedWalInfo::end, CompactedWalInfo::sealed)
			.containsExactly(org.assertj.core.groups.Tuple.tuple(2L, 4152L, 8304L, false),
					org.assertj.core.groups.Tuple.tuple(16L, 0L, 8304L, true));
		assertThat(read(this.client.openCompactedWal(this.client.compactedWals(GEN).get(1)))).isEqualTo("ab");
		// Litestream's listing does not see them; one index's segments list alone.
		assertThat(this.client.walSegments(GEN)).hasSize(4);
		assertThat(this.client.walSegmentsInIndex(GEN, 0x10)).extracting(WalSegmentInfo::offset)
			.containsExactly(0L, 4152L);
		assertThat(this.client.walSegmentsInIndex(GEN, 0x1)).extracting(WalSegmentInfo::offset).containsExactly(0L);
		assertThat(this.client.walSegmentsInIndex(GEN, 0x3)).isEmpty();

		this.client.deleteCompactedWals(List.of(written, written));
		assertThat(this.client.compactedWals(GEN)).extracting(CompactedWalInfo::index).containsExactly(2L);
		assertThat(this.client.walSegments(GEN)).hasSize(4);
		this.client.deleteGeneration(GEN);
		assertThat(this.client.compactedWals(GEN)).isEmpty();
	}

	@Test
	void overwritesSnapshotAtSameIndex() throws IOException {
		this.client.writeSnapshot(GEN, 3, bytes("old"));
		this.client.writeSnapshot(GEN, 3, bytes("newer"));

		assertThat(read(this.client.openSnapshot(GEN, 3))).isEqualTo("newer");
		assertThat(this.client.snapshots(GEN)).singleElement().extracting(SnapshotInfo::size).isEqualTo(5L);
	}

	@Test
	void listsNumericallyWhateverTheNameOrder() throws IOException {
		// 0x1_0000_0000 formats to 9 hex digits and sorts before "ffffffff" as a string.
		long[][] positions = { { 0x10, 0 }, { 0x9, 0x1000 }, { 0x9, 0 }, { 0x9, 0xffffffffL }, { 0x9, 0x100000000L },
				{ 0xa, 0x20 }, { ReplicaPaths.MAX_INDEX, 0 } };
		List<long[]> shuffled = new ArrayList<>(List.of(positions));
		Collections.shuffle(shuffled, new Random(42));
		for (long[] p : shuffled) {
			this.client.writeWalSegment(new Pos(GEN, p[0], p[1]), bytes("x"));
		}
		for (long index : new long[] { 0x100, 0x2, 0x10, 0xff }) {
			this.client.writeSnapshot(GEN, index, bytes("s"));
		}

		assertThat(this.client.walSegments(GEN)).extracting(WalSegmentInfo::pos)
			.containsExactly(new Pos(GEN, 0x9, 0), new Pos(GEN, 0x9, 0x1000), new Pos(GEN, 0x9, 0xffffffffL),
					new Pos(GEN, 0x9, 0x100000000L), new Pos(GEN, 0xa, 0x20), new Pos(GEN, 0x10, 0),
					new Pos(GEN, ReplicaPaths.MAX_INDEX, 0));
		assertThat(this.client.snapshots(GEN)).extracting(SnapshotInfo::index).containsExactly(0x2L, 0x10L, 0xffL, 0x100L);
		assertThat(read(this.client.openWalSegment(new Pos(GEN, 0x9, 0x100000000L)))).isEqualTo("x");
	}

	@Test
	void ignoresForeignObjects() throws Exception {
		this.client.writeSnapshot(GEN, 1, bytes("s"));
		this.client.writeWalSegment(new Pos(GEN, 1, 0), bytes("w"));
		writeForeignObject("generations/" + GEN + "/snapshots/00000002.snapshot.lz4.tmp", bytes(2));
		writeForeignObject("generations/" + GEN + "/snapshots/2.snapshot.lz4", bytes(2));
		writeForeignObject("generations/" + GEN + "/snapshots/README", bytes(2));
		writeForeignObject("generations/" + GEN + "/wal/0000000A_00000000.wal.lz4", bytes(2));
		writeForeignObject("generations/" + GEN + "/wal/00000001_00000000.wal", bytes(2));
		writeForeignObject("generations/not-a-generation/snapshots/00000001.snapshot.lz4", bytes(2));
		writeForeignObject("generations/0123456789ABCDEF/snapshots/00000001.snapshot.lz4", bytes(2));

		assertThat(this.client.snapshots(GEN)).extracting(SnapshotInfo::index).containsExactly(1L);
		assertThat(this.client.walSegments(GEN)).extracting(WalSegmentInfo::pos).containsExactly(new Pos(GEN, 1, 0));
		assertThat(this.client.generations()).containsExactly(GEN);
	}

	@Test
	void reportsCreatedAtCloseToNow() throws IOException {
		Instant before = Instant.now();
		this.client.writeSnapshot(GEN, 1, bytes("s"));
		this.client.writeWalSegment(new Pos(GEN, 1, 0), bytes("w"));

		// S3's LastModified has whole-second resolution (and store clocks drift a little).
		Duration tolerance = Duration.ofSeconds(5);
		assertThat(this.client.snapshots(GEN).get(0).createdAt()).isBetween(before.minus(tolerance),
				Instant.now().plus(tolerance));
		assertThat(this.client.walSegments(GEN).get(0).createdAt()).isBetween(before.minus(tolerance),
				Instant.now().plus(tolerance));
	}

	@Test
	void missingObjectThrowsFileNotFoundNamingIt() {
		assertThatExceptionOfType(FileNotFoundException.class).isThrownBy(() -> this.client.openSnapshot(GEN, 0x7a))
			.withMessageContaining("generations/" + GEN + "/snapshots/0000007a.snapshot.lz4");
		assertThatExceptionOfType(FileNotFoundException.class)
			.isThrownBy(() -> this.client.openWalSegment(new Pos(GEN, 0x7a, 0x1038)))
			.withMessageContaining("generations/" + GEN + "/wal/0000007a_00001038.wal.lz4");
	}

	@Test
	void unknownGenerationListsEmpty() throws IOException {
		assertThat(this.client.generations()).isEmpty();
		assertThat(this.client.snapshots(GEN)).isEmpty();
		assertThat(this.client.walSegments(GEN)).isEmpty();
	}

	@Test
	void rejectsInvalidGenerationNames() {
		assertThatIllegalArgumentException().isThrownBy(() -> this.client.snapshots("../../etc"));
		assertThatIllegalArgumentException().isThrownBy(() -> this.client.writeWalSegment(new Pos("ABC", 0, 0), bytes("x")));
	}

	@Test
	void deletesGivenObjectsAndIgnoresMissingOnes() throws IOException {
		for (int i = 1; i <= 3; i++) {
			this.client.writeSnapshot(GEN, i, bytes("s" + i));
			this.client.writeWalSegment(new Pos(GEN, i, 0), bytes("w" + i));
		}
		Instant t = Instant.now();

		this.client.deleteSnapshots(List.of(new SnapshotInfo(GEN, 1, 2, t), new SnapshotInfo(GEN, 99, 0, t)));
		this.client.deleteWalSegments(List.of(new WalSegmentInfo(GEN, 2, 0, 2, t), new WalSegmentInfo(GEN, 5, 8, 0, t)));
		this.client.deleteSnapshots(List.of());

		assertThat(this.client.snapshots(GEN)).extracting(SnapshotInfo::index).containsExactly(2L, 3L);
		assertThat(this.client.walSegments(GEN)).extracting(WalSegmentInfo::index).containsExactly(1L, 3L);
	}

	@Test
	void deleteGenerationRemovesOnlyThatGeneration() throws IOException {
		this.client.writeSnapshot(GEN, 1, bytes("s"));
		this.client.writeWalSegment(new Pos(GEN, 1, 0), bytes("w"));
		this.client.writeSnapshot(GEN2, 1, bytes("s"));

		this.client.deleteGeneration(GEN);
		this.client.deleteGeneration(GEN); // again: nothing left, no error

		assertThat(this.client.generations()).containsExactly(GEN2);
		assertThat(this.client.snapshots(GEN)).isEmpty();
		assertThat(this.client.walSegments(GEN)).isEmpty();
		assertThat(this.client.snapshots(GEN2)).hasSize(1);
	}

	@Test
	void listsGenerationsSorted() throws IOException {
		this.client.writeSnapshot(GEN2, 1, bytes("s"));
		this.client.writeWalSegment(new Pos(GEN, 1, 0), bytes("w"));
		this.client.writeSnapshot("00000000000000ff", 1, bytes("s"));

		assertThat(this.client.generations()).containsExactly("00000000000000ff", GEN, GEN2);
	}

	@Test
	void acceptsConcurrentWritesFromThreads() throws Exception {
		int threads = 8;
		int perThread = 25;
		ExecutorService pool = Executors.newFixedThreadPool(threads);
		try {
			List<Future<?>> futures = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				long index = t;
				futures.add(pool.submit(() -> {
					for (int i = 0; i < perThread; i++) {
						this.client.writeWalSegment(new Pos(GEN, index, i * 4120L), bytes(index + ":" + i));
					}
					return null;
				}));
			}
			for (Future<?> f : futures) {
				f.get(60, TimeUnit.SECONDS);
			}
		}
		finally {
			pool.shutdownNow();
			assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
		}

		List<WalSegmentInfo> segments = this.client.walSegments(GEN);
		assertThat(segments).hasSize(threads * perThread);
		assertThat(segments).isSortedAccordingTo((a, b) -> a.pos().compareTo(b.pos()));
		assertThat(read(this.client.openWalSegment(new Pos(GEN, 5, 17 * 4120L)))).isEqualTo("5:17");
	}

	@Test
	void streamsLargeObjectsBothWays() throws IOException {
		long size = largeObjectSize();
		Checksums.Digest expected = Checksums.sha256(new GeneratedInputStream(size, 7));

		SnapshotInfo info = this.client.writeSnapshot(GEN, 1, new GeneratedInputStream(size, 7));

		assertThat(info.size()).isEqualTo(size);
		assertThat(this.client.snapshots(GEN)).singleElement().extracting(SnapshotInfo::size).isEqualTo(size);
		assertThat(Checksums.sha256(this.client.openSnapshot(GEN, 1))).isEqualTo(expected);
	}

	@Test
	void describesItselfWithItsType() {
		assertThat(this.client.describe()).startsWith(this.client.type() + "://");
	}

	protected static InputStream bytes(String s) {
		return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
	}

	protected static byte[] bytes(int n) {
		return new byte[n];
	}

	protected static String read(InputStream in) throws IOException {
		try (in) {
			return new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
	}


	// ---- the single-writer lease ------------------------------------------------------------------

	@Test
	void readsNoLeaseInAnEmptyReplica() throws IOException {
		assertThat(this.client.readLease()).isEmpty();
	}

	@Test
	void createsLeaseOnlyIfAbsent() throws IOException {
		String etag = this.client.createLease(utf8("first"));

		assertThat(etag).isNotBlank();
		assertThat(this.client.createLease(utf8("second"))).isNull();
		assertThat(this.client.readLease()).hasValueSatisfying((lease) -> {
			assertThat(new String(lease.content(), StandardCharsets.UTF_8)).isEqualTo("first");
			assertThat(lease.etag()).isEqualTo(etag);
		});
	}

	@Test
	void replacesLeaseOnlyWhileItsVersionTagMatches() throws IOException {
		String first = this.client.createLease(utf8("first"));
		String second = this.client.replaceLease(first, utf8("second"));

		assertThat(second).isNotBlank().isNotEqualTo(first);
		// The old tag is stale now: a writer that still holds it must not win.
		assertThat(this.client.replaceLease(first, utf8("stale writer"))).isNull();
		assertThat(this.client.readLease()).hasValueSatisfying((lease) -> {
			assertThat(new String(lease.content(), StandardCharsets.UTF_8)).isEqualTo("second");
			assertThat(lease.etag()).isEqualTo(second);
		});
	}

	@Test
	void doesNotReplaceAMissingLease() throws IOException {
		assertThat(this.client.replaceLease("\"0123456789abcdef0123456789abcdef\"", utf8("y"))).isNull();
		assertThat(this.client.readLease()).isEmpty();
	}

	@Test
	void letsExactlyOneOfConcurrentCreatorsWin() throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(4);
		try {
			List<Future<String>> results = new ArrayList<>();
			for (int i = 0; i < 4; i++) {
				byte[] content = utf8("writer-" + i);
				results.add(pool.submit(() -> this.client.createLease(content)));
			}
			List<String> winners = new ArrayList<>();
			for (Future<String> f : results) {
				String etag = f.get(60, TimeUnit.SECONDS);
				if (etag != null) {
					winners.add(etag);
				}
			}
			assertThat(winners).hasSize(1);
			assertThat(this.client.readLease()).hasValueSatisfying((l) -> assertThat(l.etag()).isEqualTo(winners.get(0)));
		}
		finally {
			pool.shutdownNow();
		}
	}

	@Test
	void keepsTheLeaseOutsideLitestreamsGenerations() throws IOException {
		this.client.createLease(utf8("x"));
		this.client.writeSnapshot(GEN, 1, bytes("s"));

		assertThat(this.client.generations()).containsExactly(GEN);
	}

	private static byte[] utf8(String s) {
		return s.getBytes(StandardCharsets.UTF_8);
	}

}
