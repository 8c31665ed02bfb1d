package io.github.litestreamspring.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.db.EagerBusyHandler;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;

/**
 * The writer, run in its own JVM for every side so that the code path is the same whoever
 * replicates: one connection configured like the starter's pool (WAL, {@code synchronous=NORMAL},
 * no auto-checkpoint; for the {@code off} side SQLite's own auto-checkpoint, as an application without
 * replication runs), one small {@code INSERT} per transaction. For our sides the engine runs in
 * this JVM and the writer calls {@link Replicator#notifyChange()} after each commit, as the Spring
 * layer's commit listener does.
 * <p>
 * Arguments are {@code key=value}. Modes: {@code lag} (open loop at {@code rate} tx/s, each commit
 * recorded in {@code commits}, then an idle phase) and {@code throughput} (closed loop). Protocol on
 * standard output: {@code PHASE <name> <epochMillis> <writerThreadCpuNanos>} and a final
 * {@code RESULT k=v ...} line.
 */
public final class WriterMain {

	/** Payload of every row: small, and random enough that LZ4 cannot make it vanish. */
	static final int PAYLOAD_BYTES = 100;

	private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

	private WriterMain() {
	}

	public static void main(String[] args) throws Exception {
		Map<String, String> a = parse(args);
		Path db = Path.of(a.get("db"));
		Side side = Side.valueOf(a.get("side"));
		String mode = a.get("mode");
		Duration warmup = Duration.ofMillis(Long.parseLong(a.get("warmupMillis")));
		Duration measured = Duration.ofMillis(Long.parseLong(a.get("millis")));
		Replicator replicator = side.ours() ? replicator(db, side, URI.create(a.get("endpoint")), a.get("bucket"),
				a.get("root"), Integer.parseInt(a.getOrDefault("maxUploads",
						String.valueOf(ReplicaOptions.DEFAULT_MAX_UPLOADS_PER_SECOND)))) : null;
		try (Connection c = open(db, side == Side.OFF);
				PreparedStatement insert = c.prepareStatement("INSERT INTO t (payload) VALUES (?)")) {
			if (replicator != null) {
				replicator.start();
			}
			Writer writer = new Writer(insert, replicator, db);
			if (mode.equals("lag")) {
				runLag(writer, Double.parseDouble(a.get("rate")), warmup, measured,
						Duration.ofMillis(Long.parseLong(a.get("idleMillis"))), Path.of(a.get("commits")));
			}
			else {
				runThroughput(writer, warmup, measured);
			}
		}
		finally {
			if (replicator != null) {
				replicator.stop();
			}
		}
	}

	private static void runLag(Writer writer, double rate, Duration warmup, Duration measured, Duration idle,
			Path commits) throws Exception {
		writer.openLoop(rate, warmup, null);
		// Let the warm-up's last commits ship so they do not leak into the measured phase.
		Thread.sleep(1500);
		resetHeapPeaks();
		phase("load-start");
		try (CommitLog log = new CommitLog(commits)) {
			writer.openLoop(rate, measured, log);
		}
		phase("load-end");
		// Settle: the slowest replicator (1 s sync interval) ships the tail before idle is measured.
		Thread.sleep(3000);
		phase("idle-start");
		Thread.sleep(idle.toMillis());
		phase("idle-end");
		System.out.println("RESULT heapPeakBytes=" + heapPeakBytes() + " walMaxBytes=" + writer.walMaxBytes);
	}

	private static void runThroughput(Writer writer, Duration warmup, Duration measured) throws Exception {
		writer.closedLoop(warmup);
		writer.walMaxBytes = 0;
		phase("load-start");
		long t0 = System.nanoTime();
		long tx = writer.closedLoop(measured);
		long nanos = System.nanoTime() - t0;
		phase("load-end");
		System.out.println("RESULT tx=" + tx + " nanos=" + nanos + " walMaxBytes=" + writer.walMaxBytes
				+ " heapPeakBytes=" + heapPeakBytes());
	}

	static Replicator replicator(Path db, Side side, URI endpoint, String bucket, String root) {
		return replicator(db, side, endpoint, bucket, root, ReplicaOptions.DEFAULT_MAX_UPLOADS_PER_SECOND);
	}

	/** With {@code maxUploadsPerSecond} as the low-latency side's upload ceiling (0: none). */
	static Replicator replicator(Path db, Side side, URI endpoint, String bucket, String root, int maxUploadsPerSecond) {
		S3ReplicaClient client = S3ReplicaClient.owning(S3Clients.client(endpoint), bucket, root,
				S3ReplicaOptions.defaults());
		ReplicaOptions options = side.replicaOptions();
		if (side == Side.OURS_LOW_LATENCY) {
			options = options.withMaxUploadsPerSecond(maxUploadsPerSecond);
		}
		return new Replicator(DatabaseOptions.defaults(db), List.of(new Replica(options, client)));
	}

	/** The writer's connection, configured as the starter configures pooled connections. */
	static Connection open(Path db) throws SQLException {
		return open(db, false);
	}

	/**
	 * @param autocheckpoint SQLite's own checkpoints (every 1,000 pages, its default), as an application
	 * without replication runs: the {@code off} baseline. With replication the starter turns them off
	 * and the replicator checkpoints instead.
	 */
	static Connection open(Path db, boolean autocheckpoint) throws SQLException {
		Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
		try (Statement st = c.createStatement()) {
			st.execute("PRAGMA busy_timeout = 5000");
			st.execute("PRAGMA journal_mode = wal");
			st.execute("PRAGMA synchronous = NORMAL");
			st.execute("PRAGMA wal_autocheckpoint = " + (autocheckpoint ? 1000 : 0));
		}
		EagerBusyHandler.installForApplication(c, Duration.ofSeconds(5));
		return c;
	}

	/** Creates the benchmark table; run once by the orchestrator before anybody else opens the file. */
	static void createSchema(Path db) throws SQLException {
		try (Connection c = open(db); Statement st = c.createStatement()) {
			st.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
		}
	}

	private static void phase(String name) {
		System.out.println("PHASE " + name + " " + System.currentTimeMillis() + " " + THREADS.getCurrentThreadCpuTime());
		System.out.flush();
	}

	private static void resetHeapPeaks() {
		for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
			if (pool.getType() == MemoryType.HEAP) {
				pool.resetPeakUsage();
			}
		}
	}

	private static long heapPeakBytes() {
		long sum = 0;
		for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
			if (pool.getType() == MemoryType.HEAP) {
				sum += pool.getPeakUsage().getUsed();
			}
		}
		return sum;
	}

	private static Map<String, String> parse(String[] args) {
		Map<String, String> map = new HashMap<>();
		for (String arg : args) {
			int eq = arg.indexOf('=');
			map.put(arg.substring(0, eq), arg.substring(eq + 1));
		}
		return map;
	}

	/** One connection's transactions. */
	private static final class Writer {

		private final PreparedStatement insert;

		private final Replicator replicator;

		private final Path wal;

		private final WalEndTracker tracker;

		long walMaxBytes;

		Writer(PreparedStatement insert, Replicator replicator, Path db) {
			this.insert = insert;
			this.replicator = replicator;
			this.wal = db.resolveSibling(db.getFileName() + "-wal");
			this.tracker = new WalEndTracker(this.wal);
		}

		/** One small transaction (auto-commit), then the commit signal our engine listens for. */
		void commit() throws SQLException {
			this.insert.setString(1, randomPayload());
			this.insert.executeUpdate();
			if (this.replicator != null) {
				this.replicator.notifyChange();
			}
		}

		/** Commits as fast as possible for {@code duration}; returns the number of transactions. */
		long closedLoop(Duration duration) throws SQLException, IOException {
			long deadline = System.nanoTime() + duration.toNanos();
			long tx = 0;
			while (System.nanoTime() < deadline) {
				commit();
				tx++;
				if (tx % 200 == 0) {
					sampleWal();
				}
			}
			sampleWal();
			return tx;
		}

		/**
		 * Commits at a fixed rate for {@code duration}: commit {@code i} is due at {@code start + i/rate}
		 * whether or not the previous one was late (open loop), so a slow commit shows as lag later on
		 * rather than lowering the offered load.
		 */
		void openLoop(double rate, Duration duration, CommitLog log) throws SQLException, IOException {
			long start = System.nanoTime();
			long count = Math.round(rate * duration.toNanos() / 1e9);
			double step = 1e9 / rate;
			for (long i = 0; i < count; i++) {
				long due = start + Math.round(i * step);
				long wait = due - System.nanoTime();
				if (wait > 0) {
					LockSupport.parkNanos(wait);
				}
				commit();
				if (log != null) {
					Instant now = Instant.now();
					this.tracker.update();
					log.add(now.getEpochSecond() * 1_000_000_000L + now.getNano(), this.tracker.salt(),
							this.tracker.end());
				}
				if (i % 100 == 0) {
					sampleWal();
				}
			}
		}

		private void sampleWal() throws IOException {
			if (Files.exists(this.wal)) {
				this.walMaxBytes = Math.max(this.walMaxBytes, Files.size(this.wal));
			}
		}

		private static String randomPayload() {
			char[] chars = new char[PAYLOAD_BYTES];
			ThreadLocalRandom r = ThreadLocalRandom.current();
			for (int i = 0; i < chars.length; i++) {
				chars[i] = (char) ('a' + r.nextInt(26));
			}
			return new String(chars);
		}

	}

}
