package io.github.litestreamspring.engine.follower;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.testsupport.FaultProxy;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A follower in the same JVM as a real primary ({@link FollowerPrimary}), both on S3Proxy: what its
 * readers see (committed, gap-free, never going backwards), what it asks of S3, how it follows a new
 * generation, an outage, and readers that hold a connection across switches.
 */
class FollowerTests {

	static final String BUCKET = "follower";

	static final S3ReplicaOptions.RetryPolicy QUICK_RETRY = new S3ReplicaOptions.RetryPolicy(2, Duration.ofMillis(50),
			Duration.ofMillis(100), Duration.ofSeconds(1));

	static S3ProxyServer server;

	@TempDir
	Path dir;

	private final String root = "dbs/" + UUID.randomUUID() + "/app.db";

	private final CountingInterceptor followerRequests = new CountingInterceptor();

	private S3Client primaryS3;

	private S3Client followerS3;

	@BeforeAll
	static void startServer() {
		server = S3ProxyServer.shared();
		server.createBucket(BUCKET);
	}

	@AfterEach
	void closeClients() {
		if (this.primaryS3 != null) {
			this.primaryS3.close();
		}
		if (this.followerS3 != null) {
			this.followerS3.close();
		}
	}

	private FollowerPrimary primary() throws Exception {
		this.primaryS3 = server.client();
		Path db = Files.createDirectories(this.dir.resolve("primary")).resolve("app.db");
		return new FollowerPrimary(db, new S3ReplicaClient(this.primaryS3, BUCKET, this.root, S3ReplicaOptions.defaults()));
	}

	private Follower follower(S3Client s3) throws Exception {
		this.followerS3 = s3;
		Path db = Files.createDirectories(this.dir.resolve("follower")).resolve("app.db");
		S3ReplicaClient client = new S3ReplicaClient(s3, BUCKET, this.root,
				S3ReplicaOptions.defaults().withRetry(QUICK_RETRY));
		return new Follower(FollowerOptions.defaults(db).withPollInterval(Duration.ofMillis(100)), client);
	}

	private Follower follower() throws Exception {
		return follower(server.client((b) -> b.overrideConfiguration((c) -> c.addExecutionInterceptor(this.followerRequests))));
	}

	@Test
	void readsAreGapFreePrefixesThatNeverGoBackwardsAndCatchUpWithThePrimary() throws Exception {
		try (FollowerPrimary primary = primary()) {
			for (int i = 0; i < 20; i++) {
				primary.writeOne();
			}
			primary.replicator().syncNow();
			try (Follower follower = follower()) {
				follower.start();
				Path db = follower.databasePath();
				assertThat(Files.isSymbolicLink(db)).isTrue();
				assertThat(FollowerPrimary.readPrefix(db)).isEqualTo(20);
				follower.startPolling();
				AtomicBoolean writing = new AtomicBoolean(true);
				AtomicReference<Throwable> failure = new AtomicReference<>();
				Thread writer = new Thread(() -> {
					try {
						long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
						while (writing.get() && System.nanoTime() < end) {
							primary.writeOne();
							Thread.sleep(2);
						}
					}
					catch (Throwable ex) {
						failure.set(ex);
					}
				}, "follower-test-writer");
				writer.start();
				long last = 0;
				int reads = 0;
				long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
				while (System.nanoTime() < end && reads < 10_000) {
					long seen = FollowerPrimary.readPrefix(db);
					assertThat(seen).as("read %d went backwards", reads).isGreaterThanOrEqualTo(last);
					last = seen;
					reads++;
					Thread.sleep(5);
				}
				writing.set(false);
				writer.join(10_000);
				assertThat(failure.get()).isNull();
				Pos replicated = primary.replicator().syncNow();
				assertThat(await(Duration.ofSeconds(20), () -> follower.position().equals(replicated)))
					.as("caught up with %s: %s", replicated, follower.status()).isTrue();
				assertThat(FollowerPrimary.readPrefix(db)).isEqualTo(primary.written());
				assertThat(follower.status().switches()).as("switches while the primary wrote").isGreaterThan(3);
				assertThat(replicated.index()).as("the WAL index moved on during the test").isGreaterThan(0);
				System.out.printf("FollowerTests: %d reads, last saw %d of %d rows, %d switches%n", reads, last,
						primary.written(), follower.status().switches());
				assertThat(this.followerRequests.count("PutObject") + this.followerRequests.count("DeleteObjects")
						+ this.followerRequests.count("DeleteObject")).as("the follower never writes").isZero();
			}
		}
	}

	@Test
	void anIdleFollowerListsOncePerPollAndDownloadsNothing() throws Exception {
		try (FollowerPrimary primary = primary()) {
			primary.writeOne();
			Pos replicated = primary.replicator().syncNow();
			try (Follower follower = follower()) {
				follower.start();
				assertThat(follower.position()).isEqualTo(replicated);
				this.followerRequests.clear();
				for (int i = 0; i < 10; i++) {
					assertThat(follower.pollOnce()).isFalse();
				}
				assertThat(this.followerRequests.count("ListObjectsV2")).isEqualTo(10);
				assertThat(this.followerRequests.count("GetObject")).isZero();
				assertThat(this.followerRequests.total()).isEqualTo(10);
				assertThat(follower.lag()).isLessThan(Duration.ofSeconds(2));
			}
		}
	}

	@Test
	void aPollListsFromTheServedWalIndexSoItsCostDoesNotGrowWithTheHistory() throws Exception {
		try (FollowerPrimary primary = primary()) {
			// A history of several WAL indexes (the primary checkpoints every 30 pages).
			Pos replicated = primary.replicator().syncNow();
			long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
			for (int i = 0; i < 5_000 && replicated.index() < 3 && System.nanoTime() < deadline; i++) {
				primary.writeOne();
				replicated = primary.replicator().syncNow();
			}
			assertThat(replicated.index()).as("several WAL indexes written").isGreaterThanOrEqualTo(3);
			long index = replicated.index();
			List<WalSegmentInfo> all = primary.client().walSegments(replicated.generation());
			long inServedIndex = all.stream().filter((s) -> s.index() == index).count();
			this.followerS3 = server.client((b) -> b.overrideConfiguration((c) -> c.addExecutionInterceptor(this.followerRequests)));
			Path db = Files.createDirectories(this.dir.resolve("follower")).resolve("app.db");
			// Two keys per page, so that a listing's cost shows in its number of requests.
			S3ReplicaClient client = new S3ReplicaClient(this.followerS3, BUCKET, this.root,
					S3ReplicaOptions.defaults().withRetry(QUICK_RETRY).withMaxKeys(2));
			try (Follower follower = new Follower(FollowerOptions.defaults(db), client)) {
				follower.start();
				assertThat(follower.position()).isEqualTo(replicated);
				this.followerRequests.clear();
				assertThat(follower.pollOnce()).isFalse();
				long lists = this.followerRequests.count("ListObjectsV2");
				assertThat(lists).as("one idle poll's listing: the served index's %d segments, not all %d", inServedIndex,
						all.size()).isLessThanOrEqualTo(inServedIndex / 2 + 1).isLessThan(all.size() / 2);
				assertThat(this.followerRequests.count("GetObject")).isZero();
				primary.writeOne();
				Pos next = primary.replicator().syncNow();
				// After an idle WAL listing the next poll lists the generations; the one after it finds the WAL.
				assertThat(follower.pollOnce() || follower.pollOnce()).as("the new segment found and applied").isTrue();
				assertThat(follower.position()).isEqualTo(next);
			}
		}
	}

	@Test
	void aPollThatCrossesIntoANewWalIndexStillListsOnceAndAsksForItsSnapshotWithoutListing() throws Exception {
		try (FollowerPrimary primary = primary()) {
			Pos replicated = primary.replicator().syncNow();
			try (Follower follower = follower()) {
				follower.start();
				long served = follower.position().index();
				long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
				for (int i = 0; i < 5_000 && replicated.index() <= served && System.nanoTime() < deadline; i++) {
					primary.writeOne();
					replicated = primary.replicator().syncNow();
				}
				assertThat(replicated.index()).as("the primary started a new WAL index").isGreaterThan(served);
				this.followerRequests.clear();
				assertThat(follower.pollOnce()).isTrue();
				assertThat(follower.position()).isEqualTo(replicated);
				assertThat(this.followerRequests.count("ListObjectsV2")).as("one listing per poll, a new index or not")
					.isEqualTo(1);
				assertThat(this.followerRequests.count("HeadObject")).as("each new index asked for its snapshot")
					.isEqualTo(replicated.index() - served);
				ReplicaClient client = follower.replica();
				assertThat(client.snapshot(replicated.generation(), 0)).isPresent();
				assertThat(client.snapshot(replicated.generation(), replicated.index())).isEmpty();
			}
		}
	}

	@Test
	void aNewGenerationIsFollowedByRestoringItWithoutAMixedState() throws Exception {
		try (FollowerPrimary primary = primary()) {
			for (int i = 0; i < 50; i++) {
				primary.writeOne();
			}
			Pos first = primary.replicator().syncNow();
			try (Follower follower = follower()) {
				follower.start();
				primary.restartWithNewGeneration();
				for (int i = 0; i < 50; i++) {
					primary.writeOne();
				}
				Pos second = primary.replicator().syncNow();
				assertThat(second.generation()).isNotEqualTo(first.generation());
				long last = FollowerPrimary.readPrefix(follower.databasePath());
				for (int i = 0; i < 40 && !follower.position().equals(second); i++) {
					follower.pollOnce();
					long seen = FollowerPrimary.readPrefix(follower.databasePath());
					assertThat(seen).isGreaterThanOrEqualTo(last);
					last = seen;
				}
				assertThat(follower.position()).isEqualTo(second);
				assertThat(FollowerPrimary.readPrefix(follower.databasePath())).isEqualTo(100);
			}
		}
	}

	@Test
	void aNewGenerationIsFollowedEvenWhenItsObjectsLookOlderThanTheServedOnes() throws Exception {
		// A new primary whose clock is an hour behind: "the latest generation by timestamp" is the old one.
		Path replica = this.dir.resolve("replica");
		Path db = Files.createDirectories(this.dir.resolve("primary")).resolve("app.db");
		try (FollowerPrimary primary = new FollowerPrimary(db, new FileReplicaClient(replica))) {
			for (int i = 0; i < 10; i++) {
				primary.writeOne();
			}
			Pos first = primary.replicator().syncNow();
			Path followerDb = Files.createDirectories(this.dir.resolve("follower")).resolve("app.db");
			try (Follower follower = new Follower(FollowerOptions.defaults(followerDb), new FileReplicaClient(replica))) {
				follower.start();
				primary.restartWithNewGeneration();
				for (int i = 0; i < 10; i++) {
					primary.writeOne();
				}
				Pos second = primary.replicator().syncNow();
				assertThat(second.generation()).isNotEqualTo(first.generation());
				java.nio.file.attribute.FileTime anHourAgo = java.nio.file.attribute.FileTime
					.from(java.time.Instant.now().minus(Duration.ofHours(1)));
				try (var files = Files.walk(replica.resolve("generations").resolve(second.generation()))) {
					for (Path file : files.filter(Files::isRegularFile).toList()) {
						Files.setLastModifiedTime(file, anHourAgo);
					}
				}
				for (int i = 0; i < 10 && !follower.position().equals(second); i++) {
					follower.pollOnce();
				}
				assertThat(follower.position()).isEqualTo(second);
				assertThat(FollowerPrimary.readPrefix(followerDb)).isEqualTo(20);
			}
		}
	}

	@Test
	void aSnapshotPastTheCopysIndexIsRestoredFromInsteadOfApplyingTheNextIndexOverWalTheReplicaLacks()
			throws Exception {
		// The primary's shadow WAL outgrew its bound while the replica was behind: the replica's index ends
		// early and the next index begins with a snapshot. Applying that index's WAL on top would leave a hole.
		Path replica = this.dir.resolve("replica");
		Path db = Files.createDirectories(this.dir.resolve("primary")).resolve("app.db");
		try (FollowerPrimary primary = new FollowerPrimary(db, new FileReplicaClient(replica))) {
			for (int i = 0; i < 10; i++) {
				primary.writeOne();
			}
			Pos first = primary.replicator().syncNow();
			Path followerDb = Files.createDirectories(this.dir.resolve("follower")).resolve("app.db");
			try (Follower follower = new Follower(FollowerOptions.defaults(followerDb), new FileReplicaClient(replica))) {
				follower.start();
				for (int i = 0; i < 10; i++) {
					primary.writeOne();
				}
				primary.replicator().syncNow();
				primary.replicator().snapshotNow();
				for (int i = 0; i < 10; i++) {
					primary.writeOne();
				}
				Pos last = primary.replicator().syncNow();
				assertThat(last.index()).isGreaterThan(first.index());
				FileReplicaClient direct = new FileReplicaClient(replica);
				direct.deleteWalSegments(direct.walSegments(first.generation())
					.stream()
					.filter((s) -> s.index() == first.index() && s.offset() >= first.offset())
					.toList());
				for (int i = 0; i < 10 && !follower.position().equals(last); i++) {
					follower.pollOnce();
				}
				assertThat(follower.position()).isEqualTo(last);
				assertThat(FollowerPrimary.readPrefix(followerDb)).isEqualTo(30);
			}
		}
	}

	@Test
	void keepsServingItsLastStateWhileS3IsDownAndCatchesUpWhenItIsBack() throws Exception {
		try (FollowerPrimary primary = primary(); FaultProxy proxy = new FaultProxy(server.endpoint())) {
			for (int i = 0; i < 10; i++) {
				primary.writeOne();
			}
			primary.replicator().syncNow();
			S3Client viaProxy = server.client((b) -> b.endpointOverride(proxy.endpoint()));
			try (Follower follower = follower(viaProxy)) {
				follower.start();
				proxy.refuse((line) -> true);
				for (int i = 0; i < 10; i++) {
					primary.writeOne();
				}
				Pos replicated = primary.replicator().syncNow();
				for (int i = 0; i < 5; i++) {
					assertThat(follower.pollOnce()).isFalse();
				}
				assertThat(follower.status().lastError()).contains(BUCKET);
				assertThat(FollowerPrimary.readPrefix(follower.databasePath())).as("still served").isEqualTo(10);
				Duration lagDuringOutage = follower.lag();
				Thread.sleep(300);
				assertThat(follower.lag()).as("the lag grows").isGreaterThan(lagDuringOutage);
				proxy.heal();
				for (int i = 0; i < 10 && !follower.position().equals(replicated); i++) {
					follower.pollOnce();
				}
				assertThat(follower.position()).isEqualTo(replicated);
				assertThat(follower.status().lastError()).isNull();
				assertThat(FollowerPrimary.readPrefix(follower.databasePath())).isEqualTo(20);
			}
		}
	}

	@Test
	void aReaderHoldingAConnectionKeepsItsStateAndItsCopyIsNotTouchedUntilItCloses() throws Exception {
		try (FollowerPrimary primary = primary()) {
			for (int i = 0; i < 10; i++) {
				primary.writeOne();
			}
			primary.replicator().syncNow();
			try (Follower follower = follower()) {
				follower.start();
				Path held = follower.activeCopy();
				try (Connection reader = DriverManager.getConnection("jdbc:sqlite:" + follower.databasePath())) {
					assertThat(FollowerPrimary.readPrefix(reader)).isEqualTo(10);
					long heldModified = Files.getLastModifiedTime(held).toMillis();
					long heldSize = Files.size(held);
					// First switch: to the other copy, which nobody has open.
					for (int i = 0; i < 10; i++) {
						primary.writeOne();
					}
					primary.replicator().syncNow();
					assertThat(pollUntilSwitched(follower)).isTrue();
					assertThat(follower.activeCopy()).isNotEqualTo(held);
					assertThat(FollowerPrimary.readPrefix(follower.databasePath())).as("a new connection").isEqualTo(20);
					assertThat(FollowerPrimary.readPrefix(reader)).as("the held connection").isEqualTo(10);
					// Second change: it would go to the held copy, which waits while the reader has it open.
					for (int i = 0; i < 10; i++) {
						primary.writeOne();
					}
					Pos replicated = primary.replicator().syncNow();
					for (int i = 0; i < 5; i++) {
						assertThat(follower.pollOnce()).isFalse();
					}
					assertThat(follower.status().waitingForReaders()).isTrue();
					assertThat(FollowerPrimary.readPrefix(reader)).isEqualTo(10);
					assertThat(Files.getLastModifiedTime(held).toMillis()).isEqualTo(heldModified);
					assertThat(Files.size(held)).isEqualTo(heldSize);
					assertThat(FollowerPrimary.readPrefix(follower.databasePath())).isEqualTo(20);
					reader.close();
					assertThat(pollUntilSwitched(follower)).isTrue();
					assertThat(follower.activeCopy()).as("the copy the reader held, brought forward once free").isEqualTo(held);
					// S3Proxy's listing may show the newest segment a moment late: the first switch can stop short.
					assertThat(await(Duration.ofSeconds(20), () -> {
						follower.pollOnce();
						return follower.position().equals(replicated);
					})).as("caught up with %s: %s", replicated, follower.status()).isTrue();
					assertThat(FollowerPrimary.readPrefix(follower.databasePath())).isEqualTo(30);
				}
			}
		}
	}

	@Test
	void severalMegabytesOfWalAreAppliedInOnePollAndEachSegmentIsDownloadedOnce() throws Exception {
		try (FollowerPrimary primary = primary()) {
			primary.writeOne();
			Pos before = primary.replicator().syncNow();
			try (Follower follower = follower()) {
				follower.start();
				try (Connection c = TestDatabase.open(primary.database());
						java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO seq (n, payload) VALUES (?, ?)")) {
					c.setAutoCommit(false);
					for (long n = 2; n <= 2001; n++) {
						ps.setLong(1, n);
						ps.setString(2, (Long.toString(n) + "-").repeat(4000).substring(0, 4000));
						ps.executeUpdate();
						if (n % 100 == 1) {
							c.commit();
						}
					}
					c.commit();
				}
				primary.wroteUpTo(2001);
				Pos after = primary.replicator().syncNow();
				this.followerRequests.clear();
				long sizeBefore = Files.size(follower.activeCopy());
				long started = System.nanoTime();
				for (int i = 0; i < 4 && !follower.position().equals(after); i++) {
					follower.pollOnce();
				}
				double seconds = (System.nanoTime() - started) / 1e9;
				assertThat(follower.position()).isEqualTo(after);
				assertThat(FollowerPrimary.readPrefix(follower.databasePath())).isEqualTo(2001);
				long getsFirstCopy = this.followerRequests.count("GetObject");
				long grown = Files.size(follower.activeCopy()) - sizeBefore;
				// The other copy is brought to the same state from the segment cache: no GET.
				primary.writeOne();
				Pos third = primary.replicator().syncNow();
				this.followerRequests.clear();
				for (int i = 0; i < 4 && !follower.position().equals(third); i++) {
					follower.pollOnce();
				}
				assertThat(follower.position()).isEqualTo(third);
				assertThat(this.followerRequests.count("GetObject")).as("only the new segment(s)").isLessThan(getsFirstCopy);
				assertThat(grown).as("the copy grew by the rows' pages").isGreaterThan(8_000_000);
				System.out.printf("FollowerTests: brought a copy forward by %.1f MB of pages (WAL indexes %d to %d, %d GETs) "
						+ "in %.2f s: %.1f MB/s (download from S3Proxy, frame check and SQLite checkpoint included)%n",
						grown / 1e6, before.index(), after.index(), getsFirstCopy, seconds, grown / 1e6 / seconds);
			}
		}
	}

	@Test
	void aRegularFileAtTheDatabasePathIsMovedAsideNotDeleted() throws Exception {
		try (FollowerPrimary primary = primary()) {
			primary.writeOne();
			primary.replicator().syncNow();
			Path db = Files.createDirectories(this.dir.resolve("follower")).resolve("app.db");
			Files.writeString(db, "an old primary's database");
			try (Follower follower = follower()) {
				follower.start();
				try (var files = Files.list(db.getParent())) {
					List<Path> aside = files.filter((p) -> p.getFileName().toString().startsWith("app.db.before-follower-"))
						.toList();
					assertThat(aside).hasSize(1);
					assertThat(Files.readString(aside.get(0))).isEqualTo("an old primary's database");
				}
				assertThat(FollowerPrimary.readPrefix(db)).isEqualTo(1);
			}
		}
	}

	@Test
	void theFollowersReplicaClientRefusesEveryWrite() throws Exception {
		FollowerReplicaClient client = new FollowerReplicaClient(
				new S3ReplicaClient(this.primaryS3 = server.client(), BUCKET, this.root, S3ReplicaOptions.defaults()),
				this.dir.resolve("cache"));
		assertThatThrownBy(() -> client.writeWalSegment(new Pos("0123456789abcdef", 0, 0), java.io.InputStream.nullInputStream()))
			.hasMessageContaining("a follower never writes to its replica");
		assertThatThrownBy(() -> client.createLease(new byte[0])).hasMessageContaining("promote it");
		assertThatThrownBy(() -> client.deleteGeneration("0123456789abcdef")).hasMessageContaining("refused");
	}

	private static boolean pollUntilSwitched(Follower follower) throws InterruptedException {
		for (int i = 0; i < 40; i++) {
			if (follower.pollOnce()) {
				return true;
			}
			Thread.sleep(50);
		}
		return false;
	}

	static boolean await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
		long end = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < end) {
			if (condition.getAsBoolean()) {
				return true;
			}
			Thread.sleep(20);
		}
		return condition.getAsBoolean();
	}

	/** Counts the S3 operations a client sends. */
	static final class CountingInterceptor implements ExecutionInterceptor {

		private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

		@Override
		public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
			this.counts.computeIfAbsent(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME),
					(k) -> new AtomicLong()).incrementAndGet();
		}

		long count(String operation) {
			AtomicLong c = this.counts.get(operation);
			return (c != null) ? c.get() : 0;
		}

		long total() {
			return this.counts.values().stream().mapToLong(AtomicLong::get).sum();
		}

		void clear() {
			this.counts.clear();
		}

	}

}
