package io.github.litestreamspring.engine.replica.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.FaultProxy;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Snapshots of several parts are downloaded as parallel byte ranges against a real S3Proxy: the bytes
 * come out identical and in order, a replaced object fails instead of mixing versions, and an early
 * close leaves no download thread behind. By default a download starts as one GET and hands over to
 * ranges only when that GET is slow; the speed limits used here make either outcome certain.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RangedObjectInputStreamTests {

	static final String BUCKET = "ranged";

	static final String GEN = "0123456789abcdef";

	static final int PART = 256 * 1024;

	static final RecordingInterceptor calls = new RecordingInterceptor();

	static S3Client s3;

	@TempDir
	Path dir;

	@BeforeAll
	static void startServer() {
		S3ProxyServer.shared().createBucket(BUCKET);
		s3 = S3ProxyServer.shared().client((b) -> b.overrideConfiguration((o) -> o.addExecutionInterceptor(calls)));
	}

	@AfterAll
	static void closeS3() {
		s3.close();
	}

	@BeforeEach
	void clear() {
		calls.clear();
	}

	@Test
	void readsAnObjectOfManyPartsByteIdenticallyInRanges() throws Exception {
		assertRoundTrip(5 * 1024 * 1024 + 12_345, true);
	}

	@Test
	void readsSizesAtThePartEdges() throws Exception {
		assertRoundTrip(20 * PART, true);
		assertRoundTrip(20 * PART + 1, true);
		assertRoundTrip(2 * PART, true);
		assertRoundTrip(2 * PART + 1, true);
		assertRoundTrip(2 * PART - 1, false);
		assertRoundTrip(1, false);
		assertRoundTrip(0, false);
	}

	@Test
	void parallelismOfOneKeepsTheSingleGet() throws Exception {
		S3ReplicaClient client = client(S3ReplicaOptions.defaults().withDownload(PART, 1));
		byte[] data = random(10 * PART, 7);
		client.writeSnapshot(GEN, 1, new ByteArrayInputStream(data));
		calls.clear();
		try (InputStream in = client.openSnapshot(GEN, 1)) {
			assertThat(sha256(in.readAllBytes())).isEqualTo(sha256(data));
		}
		assertThat(calls.count("HeadObject")).isZero();
		assertThat(calls.attempts("GetObject")).hasSize(1).allSatisfy((a) -> assertThat(a.header("Range")).isNull());
	}

	@Test
	void aGetFastEnoughIsReadToItsEndWithoutRanges() throws Exception {
		// Any speed is enough: the first GET must carry the whole object.
		S3ReplicaClient client = client(S3ReplicaOptions.defaults().withDownload(PART, 4).withRangesBelow(0));
		byte[] data = random(10 * PART + 5, 8);
		client.writeSnapshot(GEN, 1, new ByteArrayInputStream(data));
		calls.clear();
		try (InputStream in = client.openSnapshot(GEN, 1)) {
			assertThat(sha256(readInOddChunks(in))).isEqualTo(sha256(data));
		}
		assertThat(calls.count("HeadObject")).isZero();
		assertThat(calls.attempts("GetObject")).hasSize(1).allSatisfy((a) -> assertThat(a.header("Range")).isNull());
		assertThat(downloadThreads()).isZero();
	}

	@Test
	void aSlowGetHandsTheRestOverToRangesOfTheSameVersionAfterItsFirstPart() throws Exception {
		S3ReplicaClient client = client(handingOver(3));
		int size = 10 * PART + 5;
		byte[] data = random(size, 9);
		client.writeSnapshot(GEN, 1, new ByteArrayInputStream(data));
		String etag = s3.headObject((b) -> b.bucket(BUCKET).key(key(client, 1))).eTag();
		calls.clear();
		try (InputStream in = client.openSnapshot(GEN, 1)) {
			assertThat(sha256(readInOddChunks(in))).isEqualTo(sha256(data));
		}
		List<RecordingInterceptor.Attempt> gets = calls.attempts("GetObject");
		assertThat(calls.count("HeadObject")).as("the GET's answer pins the version: no HEAD").isZero();
		assertThat(gets.get(0).header("Range")).as("the first GET is a plain one").isNull();
		List<RecordingInterceptor.Attempt> ranged = gets.subList(1, gets.size());
		assertThat(ranged).as("the rest, in ranges from the end of the first part").hasSize(10)
			.allSatisfy((a) -> assertThat(a.header("If-Match")).isEqualTo(etag));
		assertThat(ranged.stream().map((a) -> a.header("Range")))
			.contains("bytes=" + PART + "-" + (2 * PART - 1), "bytes=" + (10 * PART) + "-" + (size - 1));
		assertThat(awaitNoDownloadThreads(Duration.ofSeconds(10))).as("threads after EOF").isTrue();
	}

	@Test
	void anObjectReplacedBeforeTheHandOverFailsInsteadOfMixingVersions() throws Exception {
		S3ReplicaClient client = client(handingOver(2));
		client.writeSnapshot(GEN, 1, new ByteArrayInputStream(random(12 * PART, 1)));
		try (InputStream in = client.openSnapshot(GEN, 1)) {
			in.readNBytes(100);
			s3.putObject((b) -> b.bucket(BUCKET).key(key(client, 1)), RequestBody.fromBytes(random(12 * PART, 2)));
			assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class)
				.hasMessageContaining(key(client, 1))
				.hasMessageContaining("412");
		}
		assertThat(awaitNoDownloadThreads(Duration.ofSeconds(10))).isTrue();
	}

	@Test
	void closingDuringTheFirstPartOrAfterTheHandOverLeavesNothingRunning() throws Exception {
		S3ReplicaClient client = client(handingOver(4));
		client.writeSnapshot(GEN, 1, new ByteArrayInputStream(random(40 * PART, 5)));
		calls.clear();
		try (InputStream in = client.openSnapshot(GEN, 1)) {
			in.readNBytes(10);
			assertThat(downloadThreads()).as("no ranges before the first part is read").isZero();
		}
		assertThat(calls.count("GetObject")).isEqualTo(1);
		try (InputStream in = client.openSnapshot(GEN, 1)) {
			in.readNBytes(PART + 10);
			assertThat(downloadThreads()).as("ranges after the hand-over").isPositive();
		}
		assertThat(awaitNoDownloadThreads(Duration.ofSeconds(10))).as("download threads after close").isTrue();
	}

	@Test
	void restoresALargeSnapshotDownloadedInRanges() throws Exception {
		// ~5 MiB of random blobs: the LZ4 snapshot stays about that large, i.e. about 20 parts.
		Path db = this.dir.resolve("app.db");
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
			st.execute("PRAGMA journal_mode = wal");
			st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)");
			st.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1280) "
					+ "INSERT INTO t SELECT i, randomblob(4000) FROM n");
		}
		String root = "restore/" + UUID.randomUUID();
		S3ReplicaClient client = client(root, ranged(4));
		try (Replicator replicator = new Replicator(DatabaseOptions.defaults(db),
				List.of(new Replica(ReplicaOptions.defaults("s3"), client)))) {
			replicator.start();
			replicator.syncNow();
			replicator.stop(Duration.ofSeconds(10));
		}
		long snapshotSize = client.snapshots(client.generations().get(0)).get(0).size();
		assertThat(snapshotSize).as("snapshot size").isGreaterThan(10L * PART);
		calls.clear();

		Path restored = this.dir.resolve("restored.db");
		RestoreResult result = new Restorer(client).restore(RestoreOptions.latest(restored));

		assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
		assertThat(tableDigest(restored)).isEqualTo(tableDigest(db));
		long ranged = calls.attempts("GetObject").stream().filter((a) -> a.header("Range") != null).count();
		assertThat(ranged).as("range GETs of the snapshot").isEqualTo((snapshotSize + PART - 1) / PART);
	}

	@Test
	void everyRangeIsPinnedToTheVersionFirstSeen() throws Exception {
		S3ReplicaClient client = client(ranged(2));
		client.writeSnapshot(GEN, 1, new ByteArrayInputStream(random(6 * PART, 3)));
		calls.clear();
		try (InputStream in = client.openSnapshot(GEN, 1)) {
			in.readAllBytes();
		}
		String etag = s3.headObject((b) -> b.bucket(BUCKET).key(key(client, 1))).eTag();
		assertThat(calls.attempts("GetObject")).hasSize(6)
			.allSatisfy((a) -> assertThat(a.header("If-Match")).isEqualTo(etag));
	}

	@Test
	void anObjectReplacedDuringTheDownloadFailsInsteadOfMixingVersions() throws Exception {
		S3ReplicaClient client = client(ranged(2));
		byte[] first = random(12 * PART, 1);
		client.writeSnapshot(GEN, 1, new ByteArrayInputStream(first));
		try (InputStream in = client.openSnapshot(GEN, 1)) {
			byte[] start = in.readNBytes(100);
			assertThat(start).isEqualTo(java.util.Arrays.copyOf(first, 100));
			// Another writer replaces the snapshot (same key, other bytes) while ranges are still to come.
			s3.putObject((b) -> b.bucket(BUCKET).key(key(client, 1)), RequestBody.fromBytes(random(12 * PART, 2)));
			assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class)
				.hasMessageContaining(key(client, 1))
				.hasMessageContaining("bytes=")
				.hasMessageContaining("412");
		}
	}

	@Test
	void closingEarlyCancelsTheRangesAndLeavesNoThreads() throws Exception {
		S3ReplicaClient client = client(ranged(4));
		client.writeSnapshot(GEN, 1, new ByteArrayInputStream(random(40 * PART, 5)));
		calls.clear();
		try (InputStream in = client.openSnapshot(GEN, 1)) {
			in.readNBytes(10);
			assertThat(downloadThreads()).as("download threads while reading").isPositive();
		}
		assertThat(awaitNoDownloadThreads(Duration.ofSeconds(10))).as("download threads after close").isTrue();
		// The window bounded the requests: never all 40 ranges.
		assertThat(calls.count("GetObject")).isLessThanOrEqualTo(5);
	}

	@Test
	void connectionResetsGiveIdenticalBytesOrAnIOExceptionNeverWrongBytes() throws Exception {
		byte[] data = random(24 * PART + 99, 11);
		String root = "faults/" + UUID.randomUUID();
		client(root, S3ReplicaOptions.defaults()).writeSnapshot(GEN, 1, new ByteArrayInputStream(data));
		String expected = sha256(data);
		int succeeded = 0;
		int failed = 0;
		try (FaultProxy proxy = new FaultProxy(S3ProxyServer.shared().endpoint());
				S3Client faulty = S3ProxyServer.shared().client((b) -> b.endpointOverride(proxy.endpoint()))) {
			S3ReplicaClient client = new S3ReplicaClient(faulty, BUCKET, root, S3ReplicaOptions.defaults()
				.withDownload(PART, 4)
				.withRangesBelow(S3ReplicaOptions.RANGES_ALWAYS)
				.withRetry(new S3ReplicaOptions.RetryPolicy(4, Duration.ofMillis(10), Duration.ofMillis(50),
						Duration.ofSeconds(2))));
			// Resets at several depths of a connection: inside the first answer's headers or body (no range can
			// succeed), or after one or two whole ranges (a reused connection fails, a retry on a new one works).
			for (int resetAfter : new int[] { 64, 100_000, 300_000, 600_000 }) {
				proxy.resetAfter(resetAfter);
				try (InputStream in = client.openSnapshot(GEN, 1)) {
					byte[] read = in.readAllBytes();
					assertThat(sha256(read)).as("bytes read with resets after %d bytes", resetAfter).isEqualTo(expected);
					succeeded++;
				}
				catch (IOException ex) {
					System.out.printf("RangedObjectInputStreamTests resets after %d bytes: %s%n", resetAfter,
							ex.getMessage());
					failed++;
				}
			}
			// Every other connection survives: retries make the download whole.
			proxy.heal();
			try (InputStream in = client.openSnapshot(GEN, 1)) {
				assertThat(sha256(in.readAllBytes())).isEqualTo(expected);
			}
			assertThat(proxy.resets()).as("connections reset").isPositive();
		}
		System.out.printf("RangedObjectInputStreamTests resets: %d downloads whole, %d failed loudly%n", succeeded,
				failed);
		assertThat(awaitNoDownloadThreads(Duration.ofSeconds(10))).isTrue();
	}

	@Test
	void aGetResetMidBodyResumesInRangesOfTheSameVersion() throws Exception {
		byte[] data = random(24 * PART + 99, 12);
		String root = "resume/" + UUID.randomUUID();
		client(root, S3ReplicaOptions.defaults()).writeSnapshot(GEN, 1, new ByteArrayInputStream(data));
		try (FaultProxy proxy = new FaultProxy(S3ProxyServer.shared().endpoint());
				S3Client faulty = S3ProxyServer.shared().client((b) -> b.endpointOverride(proxy.endpoint())
					.overrideConfiguration((o) -> o.addExecutionInterceptor(calls)))) {
			// Any speed is enough to stay with the one GET: only its failure may bring ranges in.
			S3ReplicaClient client = new S3ReplicaClient(faulty, BUCKET, root, S3ReplicaOptions.defaults()
				.withDownload(PART, 4)
				.withRangesBelow(0)
				.withRetry(new S3ReplicaOptions.RetryPolicy(6, Duration.ofMillis(10), Duration.ofMillis(50),
						Duration.ofSeconds(5))));
			// Every connection is reset after 600,000 bytes: the GET (6 MiB) fails long before its end,
			// each range (256 KiB) gets through on a fresh connection.
			proxy.resetAfter(600_000);
			calls.clear();
			try (InputStream in = client.openSnapshot(GEN, 1)) {
				assertThat(sha256(readInOddChunks(in))).isEqualTo(sha256(data));
			}
			List<RecordingInterceptor.Attempt> gets = calls.attempts("GetObject");
			assertThat(gets.get(0).header("Range")).as("first a plain GET").isNull();
			String etag = s3.headObject((b) -> b.bucket(BUCKET).key(ReplicaPaths.snapshotPath(root, GEN, 1))).eTag();
			assertThat(gets.subList(1, gets.size())).as("then ranges of the version the GET saw").isNotEmpty()
				.allSatisfy((a) -> assertThat(a.header("If-Match")).isEqualTo(etag));
			assertThat(proxy.resets()).as("connections reset").isPositive();
		}
		assertThat(awaitNoDownloadThreads(Duration.ofSeconds(10))).isTrue();
	}

	private void assertRoundTrip(int size, boolean ranged) throws Exception {
		S3ReplicaClient client = client(ranged(4));
		byte[] data = random(size, size);
		client.writeSnapshot(GEN, 1, new ByteArrayInputStream(data));
		calls.clear();
		byte[] read;
		try (InputStream in = client.openSnapshot(GEN, 1)) {
			read = readInOddChunks(in);
		}
		assertThat(read.length).as("size %d", size).isEqualTo(size);
		assertThat(sha256(read)).as("size %d", size).isEqualTo(sha256(data));
		List<RecordingInterceptor.Attempt> gets = calls.attempts("GetObject");
		if (ranged) {
			assertThat(gets).as("range GETs for size %d", size).hasSize((size + PART - 1) / PART)
				.allSatisfy((a) -> assertThat(a.header("Range")).startsWith("bytes="));
		}
		else {
			assertThat(gets).as("one plain GET for size %d", size).hasSize(1)
				.allSatisfy((a) -> assertThat(a.header("Range")).isNull());
		}
		assertThat(awaitNoDownloadThreads(Duration.ofSeconds(10))).as("threads after EOF").isTrue();
	}

	/** Reads with a mix of single bytes and buffer sizes that straddle the part boundaries. */
	private static byte[] readInOddChunks(InputStream in) throws IOException {
		java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
		int[] sizes = { 1, 7, 65_536, 100_003, 4096 };
		byte[] buf = new byte[100_003];
		for (int i = 0;; i++) {
			int want = sizes[i % sizes.length];
			if (want == 1) {
				int b = in.read();
				if (b < 0) {
					break;
				}
				out.write(b);
				continue;
			}
			int n = in.read(buf, 0, want);
			if (n < 0) {
				break;
			}
			out.write(buf, 0, n);
		}
		return out.toByteArray();
	}

	/** Ranges from the first byte: these tests are about the ranged download itself. */
	private static S3ReplicaOptions ranged(int parallelism) {
		return S3ReplicaOptions.defaults().withDownload(PART, parallelism).withRangesBelow(S3ReplicaOptions.RANGES_ALWAYS);
	}

	/** No GET can be this fast: every download continues in ranges after its first part. */
	private static S3ReplicaOptions handingOver(int parallelism) {
		return S3ReplicaOptions.defaults().withDownload(PART, parallelism)
			.withRangesBelow(S3ReplicaOptions.RANGES_ALWAYS - 1);
	}

	private static S3ReplicaClient client(S3ReplicaOptions options) {
		return client("objects/" + UUID.randomUUID(), options);
	}

	private static S3ReplicaClient client(String root, S3ReplicaOptions options) {
		return new S3ReplicaClient(s3, BUCKET, root, options);
	}

	private static String key(S3ReplicaClient client, long index) {
		return ReplicaPaths.snapshotPath(client.root(), GEN, index);
	}

	private static byte[] random(int size, long seed) {
		byte[] data = new byte[size];
		new Random(seed).nextBytes(data);
		return data;
	}

	private static String sha256(byte[] data) throws Exception {
		return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
	}

	private static String tableDigest(Path db) throws Exception {
		MessageDigest digest = MessageDigest.getInstance("SHA-256");
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
				Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("SELECT id, payload FROM t ORDER BY id")) {
			int rows = 0;
			while (rs.next()) {
				digest.update(Long.toString(rs.getLong(1)).getBytes());
				digest.update(rs.getBytes(2));
				rows++;
			}
			assertThat(rows).isEqualTo(1280);
		}
		return HexFormat.of().formatHex(digest.digest());
	}

	private static long downloadThreads() {
		return Thread.getAllStackTraces().keySet().stream()
			.filter((t) -> t.isAlive() && t.getName().startsWith("litestream-s3-download-"))
			.count();
	}

	private static boolean awaitNoDownloadThreads(Duration timeout) throws InterruptedException {
		long end = System.nanoTime() + timeout.toNanos();
		while (downloadThreads() > 0) {
			if (System.nanoTime() > end) {
				return false;
			}
			Thread.sleep(20);
		}
		return true;
	}

}
