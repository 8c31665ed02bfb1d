package io.github.litestreamspring.benchmarks;

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
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.follower.Follower;
import io.github.litestreamspring.engine.follower.FollowerOptions;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The follower scenario (issue #15): a primary (engine defaults, 1 s sync interval) writes one-row
 * transactions open loop at a given rate to S3Proxy; a follower (engine defaults, 1 s poll) in the same
 * JVM, its requests counted by its own {@link CountingProxy}, is read every 10 ms through a new
 * connection, as a pool hands one out. Staleness of a read = its time minus the commit time of the
 * first row it did not see (0 when it saw every row committed by then). Then the primary stops writing,
 * the follower catches up and idles; finally, with polling stopped, a few dozen MB of WAL are written
 * and one catch-up is timed (apply throughput: MB of pages brought forward per second, download
 * included).
 */
final class FollowerRuns {

	static final String BUCKET = "follower-benchmark";

	private final BenchmarkConfig config;

	private final S3ProxyServer s3proxy;

	private int run;

	FollowerRuns(BenchmarkConfig config, S3ProxyServer s3proxy) {
		this.config = config;
		this.s3proxy = s3proxy;
		s3proxy.createBucket(BUCKET);
	}

	/**
	 * @param staleness milliseconds, one per read during the measured load
	 * @param badReads reads that saw a hole or fewer rows than an earlier read
	 */
	record Outcome(double[] staleness, long badReads, double listPerMinuteLoad, double getPerMinuteLoad,
			double putPerMinute, double listPerMinuteIdle, double getPerMinuteIdle, double applyMbPerSecond) {
	}

	/** Every rate, {@code reps} times, interleaved; one table, a column per rate. */
	static void runAll(BenchmarkConfig config, S3ProxyServer s3proxy, Report report) throws Exception {
		FollowerRuns runs = new FollowerRuns(config, s3proxy);
		List<String> columns = config.rates().stream().map((r) -> r + " tx/s").toList();
		Report.Table t = report.table("Follower (read replica): staleness of its reads, apply throughput, S3 requests",
				columns, List.of());
		for (int rep = 1; rep <= config.reps(); rep++) {
			for (int rate : config.rates()) {
				Benchmark.progress("rep " + rep + ": follower at " + rate + " tx/s");
				Outcome o = runs.run(rate);
				String col = rate + " tx/s";
				t.add("staleness p50 s", col, Stats.percentile(o.staleness(), 50) / 1000);
				t.add("staleness p99 s", col, Stats.percentile(o.staleness(), 99) / 1000);
				t.add("staleness max s", col, Stats.percentile(o.staleness(), 100) / 1000);
				t.add("reads that were not a gap-free prefix, or went backwards", col, o.badReads());
				t.add("apply MB/s (pages brought forward, download included)", col, o.applyMbPerSecond());
				t.add("follower LIST/min, load", col, o.listPerMinuteLoad());
				t.add("follower GET/min, load", col, o.getPerMinuteLoad());
				t.add("follower LIST/min, idle", col, o.listPerMinuteIdle());
				t.add("follower GET/min, idle", col, o.getPerMinuteIdle());
				t.add("follower PUT/min (must be 0)", col, o.putPerMinute());
			}
		}
		report.note("follower: primary with engine defaults (sync interval 1 s), follower with engine defaults (poll "
				+ "1 s), both in the benchmark JVM on S3Proxy; reads every 10 ms through a new connection; staleness = "
				+ "read time minus the commit time of the first row the read did not see (goal p99 <= primary lag + 1 "
				+ "poll interval); apply: ~32 MB of rows in 100-row transactions caught up by one poll");
	}

	Outcome run(int rate) throws Exception {
		Path dir = this.config.workDir().resolve("follower-" + rate + "-" + (++this.run));
		WorkDirs.deleteTree(dir); // a previous benchmark's databases: each run starts from empty files
		Files.createDirectories(dir);
		Path primaryDb = Files.createDirectories(dir.resolve("primary")).resolve("app.db");
		Path followerDb = dir.resolve("follower").resolve("app.db");
		String root = "bench/" + UUID.randomUUID() + "/app.db";
		int seconds = (int) Math.ceil(this.config.warmupSeconds() + this.config.seconds());
		long[] committedAt = new long[rate * (seconds + 2) + 10];
		try (S3Client direct = S3Clients.client(this.s3proxy.endpoint());
				CountingProxy proxy = new CountingProxy(this.s3proxy.endpoint());
				S3Client counted = S3Clients.client(proxy.endpoint());
				Connection app = DriverManager.getConnection("jdbc:sqlite:" + primaryDb)) {
			try (Statement st = app.createStatement()) {
				st.execute("PRAGMA journal_mode = wal");
				st.execute("PRAGMA wal_autocheckpoint = 0");
				st.execute("CREATE TABLE seq (n INTEGER PRIMARY KEY, payload TEXT)");
			}
			Replicator primary = new Replicator(DatabaseOptions.defaults(primaryDb), List.of(new Replica(
					ReplicaOptions.defaults("s3"), new S3ReplicaClient(direct, BUCKET, root, S3ReplicaOptions.defaults()))));
			primary.start();
			Follower follower = null;
			try {
				AtomicLong written = new AtomicLong();
				insert(app, written, committedAt, 1);
				primary.syncNow();
				follower = new Follower(FollowerOptions.defaults(followerDb),
						new S3ReplicaClient(counted, BUCKET, root, S3ReplicaOptions.defaults()));
				follower.start();
				follower.startPolling();
				// Load: open loop at the rate, reads every 10 ms.
				List<long[]> reads = new ArrayList<>();
				AtomicLong bad = new AtomicLong();
				AtomicBoolean reading = new AtomicBoolean(true);
				Thread reader = new Thread(() -> readLoop(followerDb, reads, bad, reading), "follower-reader");
				reader.start();
				long start = System.nanoTime();
				long loadStart = System.currentTimeMillis() + (long) (this.config.warmupSeconds() * 1000);
				long total = (long) (rate * (this.config.warmupSeconds() + this.config.seconds()));
				for (long i = 1; i <= total; i++) {
					long due = start + (long) (i * 1e9 / rate);
					long wait = due - System.nanoTime();
					if (wait > 0) {
						Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
					}
					insert(app, written, committedAt, 1);
					primary.notifyChange();
				}
				long loadEnd = System.currentTimeMillis();
				Pos last = primary.syncNow();
				long catchUpEnd = System.nanoTime() + Duration.ofSeconds(60).toNanos();
				while (!follower.position().equals(last) && System.nanoTime() < catchUpEnd) {
					Thread.sleep(20);
				}
				reading.set(false);
				reader.join(10_000);
				// Idle.
				Thread.sleep(3000);
				long idleStart = System.currentTimeMillis();
				Thread.sleep((long) (this.config.idleSeconds() * 1000));
				long idleEnd = System.currentTimeMillis();
				double[] staleness = staleness(reads, committedAt, written.get(), loadStart, loadEnd);
				double loadMinutes = (loadEnd - loadStart) / 60_000.0;
				double idleMinutes = (idleEnd - idleStart) / 60_000.0;
				double apply = timedApply(app, primary, follower, written, committedAt);
				return new Outcome(staleness, bad.get(),
						proxy.count(CountingProxy.Kind.LIST, loadStart, loadEnd) / loadMinutes,
						proxy.count(CountingProxy.Kind.GET, loadStart, loadEnd) / loadMinutes,
						proxy.count(CountingProxy.Kind.PUT, 0, Long.MAX_VALUE) / ((idleEnd - loadStart) / 60_000.0),
						proxy.count(CountingProxy.Kind.LIST, idleStart, idleEnd) / idleMinutes,
						proxy.count(CountingProxy.Kind.GET, idleStart, idleEnd) / idleMinutes, apply);
			}
			finally {
				if (follower != null) {
					follower.stop();
				}
				primary.stop();
			}
		}
	}

	/** Polling stopped: about 32 MB of rows written and shipped, then one catch-up timed. */
	private static double timedApply(Connection app, Replicator primary, Follower follower, AtomicLong written,
			long[] committedAt) throws Exception {
		follower.stop();
		String payload = "x".repeat(4000);
		app.setAutoCommit(false);
		try (PreparedStatement ps = app.prepareStatement("INSERT INTO seq (n, payload) VALUES (?, ?)")) {
			for (int i = 0; i < 8000; i++) {
				ps.setLong(1, written.incrementAndGet());
				ps.setString(2, payload);
				ps.executeUpdate();
				if (i % 100 == 99) {
					app.commit();
				}
			}
			app.commit();
		}
		finally {
			app.setAutoCommit(true);
		}
		Pos shipped = primary.syncNow();
		long before = Files.size(follower.activeCopy());
		long started = System.nanoTime();
		for (int i = 0; i < 10 && !follower.position().equals(shipped); i++) {
			follower.pollOnce();
		}
		double seconds = (System.nanoTime() - started) / 1e9;
		long grown = Files.size(follower.activeCopy()) - before;
		return follower.position().equals(shipped) ? grown / 1e6 / seconds : Double.NaN;
	}

	private static void insert(Connection app, AtomicLong written, long[] committedAt, int rows) throws Exception {
		try (PreparedStatement ps = app.prepareStatement("INSERT INTO seq (n, payload) VALUES (?, 'p')")) {
			for (int i = 0; i < rows; i++) {
				long n = written.get() + 1;
				ps.setLong(1, n);
				ps.executeUpdate();
				if (n < committedAt.length) {
					committedAt[(int) n] = System.currentTimeMillis();
				}
				written.set(n);
			}
		}
	}

	private static void readLoop(Path followerDb, List<long[]> reads, AtomicLong bad, AtomicBoolean reading) {
		long previous = 0;
		while (reading.get()) {
			try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + followerDb);
					Statement st = c.createStatement();
					ResultSet rs = st.executeQuery("SELECT COUNT(*), COALESCE(MAX(n), 0) FROM seq")) {
				rs.next();
				long count = rs.getLong(1);
				if (count != rs.getLong(2) || count < previous) {
					bad.incrementAndGet();
				}
				previous = count;
				synchronized (reads) {
					reads.add(new long[] { System.currentTimeMillis(), count });
				}
				Thread.sleep(10);
			}
			catch (Exception ex) {
				bad.incrementAndGet();
			}
		}
	}

	private static double[] staleness(List<long[]> reads, long[] committedAt, long written, long from, long to) {
		List<Double> values = new ArrayList<>();
		synchronized (reads) {
			for (long[] read : reads) {
				if (read[0] < from || read[0] >= to) {
					continue;
				}
				long firstUnseen = read[1] + 1;
				boolean missed = firstUnseen <= written && firstUnseen < committedAt.length
						&& committedAt[(int) firstUnseen] != 0 && committedAt[(int) firstUnseen] < read[0];
				values.add(missed ? (double) (read[0] - committedAt[(int) firstUnseen]) : 0.0);
			}
		}
		return Stats.sorted(values.stream().mapToDouble(Double::doubleValue).toArray());
	}

}
