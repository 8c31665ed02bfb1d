package io.github.litestreamspring.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.lease.LeaseOptions;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.ChildJvm;
import io.github.litestreamspring.engine.testsupport.Soak;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #15's end-to-end test: a primary (a real {@link Replicator} in this JVM) writes {@code seq(n)}
 * continuously to S3Proxy, and a follower application ({@link FollowerChild}: Spring Boot,
 * {@code litestream.role=follower}) in a child JVM on its own data directory reads through its pool.
 * Every sampled read is a gap-free prefix that never goes backwards; writes are refused; staleness
 * (read time minus the commit time of the oldest row the read did not see) is printed; the follower
 * catches up to the primary's final state once it stops; promoted, it continues the same generation,
 * accepts writes, and the replica restores every acknowledged row.
 */
class FollowerChildJvmTests {

	static final String BUCKET = "follower-jvm";

	@TempDir
	Path dir;

	@Test
	void aFollowerJvmReadsGapFreePrefixesCatchesUpAndIsPromotedWithoutLosingACommit() throws Exception {
		S3ProxyServer server = S3ProxyServer.shared();
		server.createBucket(BUCKET);
		String root = "dbs/" + UUID.randomUUID() + "/app.db";
		Path primaryDb = Files.createDirectories(this.dir.resolve("primary")).resolve("app.db");
		Map<Long, Long> committedAt = new ConcurrentHashMap<>();
		long written;
		Pos last;
		Process child = null;
		Path out = this.dir.resolve("child.out");
		Path err = this.dir.resolve("child.err");
		try (S3Client s3 = server.client(); Connection app = TestDatabase.open(primaryDb)) {
			try (Statement st = app.createStatement()) {
				st.execute("CREATE TABLE seq (n INTEGER PRIMARY KEY)");
			}
			Replicator primary = new Replicator(
					DatabaseOptions.defaults(primaryDb).withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1))
						.withCheckpointPageCounts(200, 1000, 0),
					List.of(new Replica(ReplicaOptions.defaults("s3").withSyncInterval(Duration.ofMillis(100)),
							new S3ReplicaClient(s3, BUCKET, root, S3ReplicaOptions.defaults()))));
			primary.setLeaseOptions(LeaseOptions.enabled(Duration.ofSeconds(3), LeaseOptions.OnConflict.WAIT));
			primary.start();
			try {
				written = insert(app, primary, 0, 50, committedAt);
				primary.syncNow();
				child = ChildJvm.start(FollowerChild.class, List.of("-Xmx256m"), this.dir, out, err,
						this.dir.toString(), "spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("follower/app.db"),
						"spring.datasource.hikari.maximum-pool-size=4", "litestream.role=follower",
						"litestream.follower.poll-interval=200ms", "litestream.lease.ttl=3s",
						"litestream.replicas[0].url=s3://" + BUCKET + "/" + root,
						"litestream.replicas[0].endpoint=" + server.endpoint(),
						"litestream.replicas[0].access-key-id=" + S3ProxyServer.ACCESS_KEY,
						"litestream.replicas[0].secret-access-key=" + S3ProxyServer.SECRET_KEY,
						"litestream.replicas[0].sync-interval=100ms");
				assertThat(ChildJvm.awaitLine(child, out, "READY", Duration.ofSeconds(60)))
					.as("%s%n%s", ChildJvm.describe(out), ChildJvm.describe(err)).isTrue();
				// About 100 transactions per second for a few seconds, each one row.
				long end = System.nanoTime() + Soak.load(Duration.ofSeconds(6)).toNanos();
				while (System.nanoTime() < end) {
					written = insert(app, primary, written, 1, committedAt);
					Thread.sleep(10);
				}
				last = primary.syncNow();
				long target = written;
				assertThat(awaitRead(child, out, target, Duration.ofSeconds(30)))
					.as("the follower catches up to %d rows: %s", target, ChildJvm.describe(err)).isTrue();
			}
			finally {
				primary.stop();
			}
			// Promotion while the old primary is stopped.
			Files.writeString(this.dir.resolve("promote"), "");
			assertThat(ChildJvm.awaitLine(child, out, "SYNCED", Duration.ofSeconds(60)))
				.as("%s%n%s", ChildJvm.describe(out), ChildJvm.describe(err)).isTrue();
			List<String> lines = ChildJvm.lines(out);
			assertThat(lines).noneMatch((l) -> l.startsWith("GAP") || l.startsWith("FAILED"));
			assertThat(lines).anyMatch((l) -> l.startsWith("WRITE refused") && l.contains("litestream.role=follower"));
			String synced = lines.stream().filter((l) -> l.startsWith("SYNCED")).findFirst().orElseThrow();
			assertThat(synced).as("the promoted follower continues the generation").contains(last.generation());
			assertThat(lines.stream().filter((l) -> l.startsWith("WROTE")).count()).isEqualTo(10);
			report(lines, committedAt, written);
			Files.writeString(this.dir.resolve("stop"), "");
			assertThat(child.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
			// Nothing acknowledged lost: the replica holds the primary's rows and the promoted one's.
			Path restored = this.dir.resolve("restored.db");
			new Restorer(new S3ReplicaClient(s3, BUCKET, root, S3ReplicaOptions.defaults()))
				.restore(RestoreOptions.latest(restored));
			try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + restored);
					Statement st = c.createStatement();
					ResultSet rs = st.executeQuery("SELECT COUNT(*), MAX(n) FROM seq")) {
				rs.next();
				assertThat(rs.getLong(1)).isEqualTo(written + 10);
				assertThat(rs.getLong(2)).isEqualTo(written + 10);
			}
		}
		finally {
			if (child != null && child.isAlive()) {
				child.destroyForcibly();
			}
		}
	}

	private static long insert(Connection app, Replicator primary, long from, int rows, Map<Long, Long> committedAt)
			throws Exception {
		try (PreparedStatement ps = app.prepareStatement("INSERT INTO seq (n) VALUES (?)")) {
			for (int i = 1; i <= rows; i++) {
				ps.setLong(1, from + i);
				ps.executeUpdate();
				committedAt.put(from + i, System.currentTimeMillis());
			}
		}
		primary.notifyChange();
		return from + rows;
	}

	/** Waits for a READ line that saw {@code rows} rows. */
	private static boolean awaitRead(Process child, Path out, long rows, Duration timeout) throws Exception {
		long end = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < end && child.isAlive()) {
			for (String line : ChildJvm.lines(out)) {
				String[] parts = line.split(" ");
				if (parts[0].equals("READ") && Long.parseLong(parts[2]) == rows) {
					return true;
				}
			}
			Thread.sleep(100);
		}
		return false;
	}

	/**
	 * Reads never go backwards; staleness of each read = its time minus the commit time of the first row
	 * it did not see (0 if it saw every row committed by then). Prints p50/p99.
	 */
	private static void report(List<String> lines, Map<Long, Long> committedAt, long written) {
		List<Long> staleness = new ArrayList<>();
		AtomicReference<Long> previous = new AtomicReference<>(0L);
		for (String line : lines) {
			String[] parts = line.split(" ");
			if (!parts[0].equals("READ")) {
				continue;
			}
			long at = Long.parseLong(parts[1]);
			long count = Long.parseLong(parts[2]);
			assertThat(count).as("reads never go backwards").isGreaterThanOrEqualTo(previous.get());
			previous.set(count);
			Long firstUnseen = committedAt.get(count + 1);
			staleness.add((firstUnseen != null && firstUnseen < at) ? at - firstUnseen : 0L);
		}
		staleness.sort(Long::compare);
		assertThat(staleness).isNotEmpty();
		long p50 = staleness.get(staleness.size() / 2);
		long p99 = staleness.get(Math.min(staleness.size() - 1, (int) (staleness.size() * 0.99)));
		System.out.printf("FollowerChildJvmTests: %d reads of %d rows, staleness p50 %d ms, p99 %d ms, max %d ms "
				+ "(poll interval 200 ms, primary sync interval 100 ms)%n", staleness.size(), written, p50, p99,
				staleness.get(staleness.size() - 1));
	}

}
