package io.github.litestreamspring.benchmarks;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.interop.LitestreamBinary;
import io.github.litestreamspring.interop.LitestreamConfig;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Restore scenarios. Each replica is written once (by our engine) and then restored, repetition
 * after repetition, by both tools from the very same objects: the shared v0.3 format makes that
 * possible, and it removes the replica's shape from the comparison.
 */
final class RestoreRuns {

	/** A replica ready to restore: where it is, and what a correct restore holds. */
	record Replica(String title, String root, long rows, long dbBytes, int walSegments) {
	}

	/**
	 * One restore: process wall time, time inside the restore call (ours only), peak RSS, CPU time of
	 * the restoring process and of S3Proxy while it ran (to see which side a restore waits for).
	 */
	record Outcome(double wallSeconds, double innerSeconds, long peakRssBytes, double cpuSeconds,
			double s3proxyCpuSeconds) {
	}

	/** What {@link #await} saw of a restore process. */
	private record Finished(long peakRssBytes, double cpuSeconds, double s3proxyCpuSeconds) {
	}

	private final BenchmarkConfig config;

	private final S3ProxyServer s3proxy;

	private final S3Client direct;

	/** Where both tools restore from: S3Proxy itself, or a proxy in front of it that adds latency. */
	private final URI endpoint;

	private int restores;

	RestoreRuns(BenchmarkConfig config, S3ProxyServer s3proxy, S3Client direct) {
		this(config, s3proxy, direct, s3proxy.endpoint());
	}

	RestoreRuns(BenchmarkConfig config, S3ProxyServer s3proxy, S3Client direct, URI endpoint) {
		this.config = config;
		this.s3proxy = s3proxy;
		this.direct = direct;
		this.endpoint = endpoint;
	}

	/**
	 * (i) A database of {@code dbMb} MiB of random blobs, checkpointed before replication starts so
	 * the replica is one snapshot and no WAL to speak of.
	 */
	Replica snapshotOnly() throws Exception {
		Path dir = Files.createDirectories(this.config.workDir().resolve("restore-snapshot"));
		Path db = dir.resolve("big.db");
		Files.deleteIfExists(db);
		// One 4000-byte blob fills one 4 KiB page (no overflow pages, no slack), so the file is --db-mb MiB.
		long rows = (long) this.config.dbMb() * 1024 * 1024 / 4096;
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
			st.execute("PRAGMA page_size = 4096");
			// Built without a journal (nothing to recover if this fails), then switched to WAL for replication.
			st.execute("PRAGMA journal_mode = OFF");
			st.execute("PRAGMA synchronous = OFF");
			st.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
			st.execute("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < " + rows
					+ ") INSERT INTO b (data) SELECT randomblob(4000) FROM n");
			st.execute("PRAGMA journal_mode = WAL");
		}
		String root = "restore-snapshot";
		replicate(db, root, Side.OURS_DEFAULT, null);
		return new Replica("(i) snapshot only, " + mib(Files.size(db)) + " MiB", root, rows, Files.size(db),
				walSegments(root));
	}

	/**
	 * (ii) A small database plus {@code tx} small transactions, shipped every {@code txPerSegment}
	 * commits by our engine in low-latency mode: thousands of WAL segments, as low-latency shipping
	 * produces.
	 */
	Replica manySegments() throws Exception {
		Path dir = Files.createDirectories(this.config.workDir().resolve("restore-segments"));
		Path db = dir.resolve("segments.db");
		Files.deleteIfExists(db);
		WriterMain.createSchema(db);
		String root = "restore-segments";
		replicate(db, root, Side.OURS_LOW_LATENCY, (replicator) -> {
			try (Connection c = WriterMain.open(db);
					PreparedStatement insert = c.prepareStatement("INSERT INTO t (payload) VALUES (?)")) {
				for (int i = 1; i <= this.config.tx(); i++) {
					insert.setString(1, String.format("%0" + WriterMain.PAYLOAD_BYTES + "d", i));
					insert.executeUpdate();
					if (i % this.config.txPerSegment() == 0) {
						replicator.syncNow();
					}
				}
			}
		});
		return new Replica("(ii) snapshot + " + this.config.tx() + " small tx", root, this.config.tx(), Files.size(db),
				walSegments(root));
	}

	/** Work done while our engine replicates; the replicator syncs once more before it stops. */
	interface Load {

		void run(Replicator replicator) throws Exception;

	}

	void replicate(Path db, String root, Side side, Load load) throws Exception {
		Replicator replicator = WriterMain.replicator(db, side, this.s3proxy.endpoint(), LoadRuns.BUCKET, root);
		replicator.start();
		try {
			replicator.syncNow();
			if (load != null) {
				load.run(replicator);
			}
			replicator.syncNow();
		}
		finally {
			replicator.stop();
		}
	}

	/** Restores with our engine in a child JVM. */
	Outcome ours(Replica replica) throws Exception {
		Path dir = restoreDir();
		Path output = dir.resolve("restored.db");
		double s3proxyCpu0 = s3proxyCpuSeconds();
		long t0 = System.nanoTime();
		Process p = Jvm.start(RestoreMain.class, dir.resolve("restore.out"), dir.resolve("restore.err"),
				List.of(this.endpoint.toString(), LoadRuns.BUCKET, replica.root(), output.toString()));
		Finished f = await(p, dir.resolve("restore.err"), s3proxyCpu0);
		double wall = (System.nanoTime() - t0) / 1e9;
		String result = Files.readString(dir.resolve("restore.out")).trim();
		double inner = Long.parseLong(result.replaceAll(".*nanos=(\\d+).*", "$1")) / 1e9;
		verify(replica, output);
		return new Outcome(wall, inner, f.peakRssBytes(), f.cpuSeconds(), f.s3proxyCpuSeconds());
	}

	/** Restores with {@code litestream restore -config ...} from the same replica. */
	Outcome litestream(Replica replica) throws Exception {
		Path dir = restoreDir();
		Path output = dir.resolve("restored.db");
		// v0.3.13 finds the replica through the config entry whose path is the target.
		Path nominal = dir.resolve("source.db");
		Path configFile = LitestreamConfig
			.s3Replica(nominal, new LitestreamConfig.S3Replica(LoadRuns.BUCKET, replica.root(),
					this.endpoint.toString(), S3Clients.REGION, S3ProxyServer.ACCESS_KEY,
					S3ProxyServer.SECRET_KEY))
			.writeTo(dir.resolve("litestream.yml"));
		ProcessBuilder builder = new ProcessBuilder(LitestreamBinary.get().toString(), "restore", "-config",
				configFile.toString(), "-o", output.toString(), nominal.toString())
			.redirectErrorStream(true)
			.redirectOutput(dir.resolve("restore.log").toFile());
		builder.environment().keySet().removeIf((name) -> name.startsWith("AWS_") || name.startsWith("LITESTREAM_"));
		double s3proxyCpu0 = s3proxyCpuSeconds();
		long t0 = System.nanoTime();
		Process p = builder.start();
		Finished f = await(p, dir.resolve("restore.log"), s3proxyCpu0);
		double wall = (System.nanoTime() - t0) / 1e9;
		verify(replica, output);
		return new Outcome(wall, Double.NaN, f.peakRssBytes(), f.cpuSeconds(), f.s3proxyCpuSeconds());
	}

	private Path restoreDir() throws IOException {
		return Files.createDirectories(this.config.workDir().resolve("restore-" + (++this.restores)));
	}

	/**
	 * Waits for a restore process, sampling its peak RSS and CPU every 5 ms (the CPU of its last 5 ms
	 * may be missed); fails on a non-zero exit.
	 */
	private static Finished await(Process p, Path log, double s3proxyCpuBefore) throws Exception {
		try (ProcessSampler sampler = new ProcessSampler(p.pid(), 5)) {
			if (!p.waitFor(30, TimeUnit.MINUTES)) {
				p.destroyForcibly();
				throw new IllegalStateException("restore did not finish, see " + log);
			}
			double s3proxyCpu = s3proxyCpuSeconds() - s3proxyCpuBefore;
			if (p.exitValue() != 0) {
				throw new IllegalStateException("restore failed (" + p.exitValue() + "): " + Files.readString(log));
			}
			return new Finished(sampler.peakRssBytes(), sampler.cpuNanosAt(Long.MAX_VALUE) / 1e9, s3proxyCpu);
		}
	}

	/** CPU time so far of the S3Proxy child process of this JVM, or NaN if it cannot be found. */
	private static double s3proxyCpuSeconds() {
		return ProcessHandle.current()
			.children()
			.filter((h) -> h.info().commandLine().orElse("").matches(".*s3proxy.*--properties.*"))
			.findFirst()
			.flatMap((h) -> h.info().totalCpuDuration())
			.map((d) -> d.toNanos() / 1e9)
			.orElse(Double.NaN);
	}

	/** The restored database must hold every row, or the timing means nothing. */
	private static void verify(Replica replica, Path output) throws SQLException {
		String table = replica.root().equals("restore-snapshot") ? "b" : "t";
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + output);
				Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
			rs.next();
			if (rs.getLong(1) != replica.rows()) {
				throw new IllegalStateException(output + " holds " + rs.getLong(1) + " rows, expected " + replica.rows());
			}
		}
		finally {
			// Repetitions of a 512 MiB restore would otherwise fill the disk.
			for (String suffix : List.of("", "-wal", "-shm")) {
				try {
					Files.deleteIfExists(output.resolveSibling(output.getFileName() + suffix));
				}
				catch (IOException ex) {
					// best effort
				}
			}
		}
	}

	int walSegments(String root) {
		return (int) this.direct
			.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(LoadRuns.BUCKET).prefix(root + "/").build())
			.contents()
			.stream()
			.filter((o) -> o.key().endsWith(".wal.lz4") && o.key().contains("/wal/"))
			.count();
	}

	/** Compacted WAL objects under {@code root}. */
	int compactedWals(String root) {
		return (int) this.direct
			.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(LoadRuns.BUCKET).prefix(root + "/").build())
			.contents()
			.stream()
			.filter((o) -> o.key().contains("/compacted/"))
			.count();
	}

	/**
	 * Moves the compacted WAL of the replica at {@code root} aside (to {@code <root>-compacted-aside}), so
	 * that a restore of {@code root} reads its segments only: the engine before it wrote any, the baseline
	 * a restore with compacted WAL is measured against. {@link #restoreCompacted} puts it back. Cheap: one
	 * copy and one delete per compacted object, however many segments the replica has.
	 */
	void hideCompacted(String root) {
		moveCompacted(root, root, root + "-compacted-aside");
	}

	/** Undoes {@link #hideCompacted}. */
	void restoreCompacted(String root) {
		moveCompacted(root, root + "-compacted-aside", root);
	}

	private void moveCompacted(String root, String from, String to) {
		List<String> keys = this.direct
			.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(LoadRuns.BUCKET).prefix(from + "/").build())
			.contents()
			.stream()
			.map(S3Object::key)
			.filter((k) -> k.contains("/compacted/"))
			.toList();
		for (String key : keys) {
			this.direct.copyObject((b) -> b.sourceBucket(LoadRuns.BUCKET)
				.sourceKey(key)
				.destinationBucket(LoadRuns.BUCKET)
				.destinationKey(to + key.substring(from.length())));
			this.direct.deleteObject((b) -> b.bucket(LoadRuns.BUCKET).key(key));
		}
	}

	static long mib(long bytes) {
		return Math.round(bytes / 1048576.0);
	}

}
