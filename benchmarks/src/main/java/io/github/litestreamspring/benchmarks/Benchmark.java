package io.github.litestreamspring.benchmarks;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.interop.LitestreamBinary;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Runs the whole benchmark of issue #5 (and the lease hand-over scenario of issue #14) and prints markdown tables: our engine inside a JVM writer
 * (default and low-latency mode) side by side with the real Litestream v0.3.13 sidecar, on the same
 * writer code path and the same S3Proxy on loopback, every scenario repeated and interleaved
 * (repetition after repetition, every side in turn) so that machine noise spreads over all sides.
 * See docs/benchmarks.md for the method.
 */
public final class Benchmark {

	static final String OFF = "off";

	static final String DEFAULT = "ours default";

	static final String LOW_LATENCY = "ours low-latency";

	static final String LITESTREAM = "Litestream";

	static final String OURS = "ours";

	/** Our restore of the same replica without its compacted WAL: the engine before #16 item 1. */
	static final String OURS_SEGMENTS_ONLY = "ours, segments only";

	private static final List<Side> SIDES = List.of(Side.OFF, Side.OURS_DEFAULT, Side.OURS_LOW_LATENCY, Side.LITESTREAM);

	private Benchmark() {
	}

	public static void main(String[] args) throws Exception {
		BenchmarkConfig config;
		try {
			config = BenchmarkConfig.parse(args);
		}
		catch (IllegalArgumentException ex) {
			System.err.println(ex.getMessage());
			System.exit(2);
			return;
		}
		String report = run(config);
		System.out.println();
		System.out.println(report);
		if (config.out() != null) {
			if (config.out().toAbsolutePath().getParent() != null) {
				Files.createDirectories(config.out().toAbsolutePath().getParent());
			}
			Files.writeString(config.out(), report);
		}
		// S3Proxy stops in its shutdown hook.
		System.exit(0);
	}

	/** Runs every scenario and returns the report. */
	public static String run(BenchmarkConfig config) throws Exception {
		Instant started = Instant.now();
		Files.createDirectories(config.workDir());
		progress("Litestream " + LitestreamBinary.get() + ", S3Proxy starting");
		S3ProxyServer s3proxy = S3ProxyServer.shared();
		s3proxy.createBucket(LoadRuns.BUCKET);
		Report report = new Report();
		List<Report.Ratio> ratios = List.of(new Report.Ratio("default / Litestream", DEFAULT, LITESTREAM),
				new Report.Ratio("low-latency / Litestream", LOW_LATENCY, LITESTREAM));
		Report.Table lag = report.table("Commit-to-durable lag (seconds) and replicator cost under open-loop load",
				List.of(OFF, DEFAULT, LOW_LATENCY, LITESTREAM), ratios);
		Report.Table write = report.table("Write throughput, closed loop, small transactions",
				List.of(OFF, DEFAULT, LOW_LATENCY, LITESTREAM), ratios);
		Report.Table restore = report.table("Restore of the same replica by both tools", List.of(OURS, LITESTREAM),
				List.of(new Report.Ratio("ours / Litestream", OURS, LITESTREAM)));
		try (S3Client direct = S3Clients.client(s3proxy.endpoint())) {
			LoadRuns load = new LoadRuns(config, s3proxy, direct);
			long observerPolls = 0;
			for (int rep = 1; rep <= config.reps() && (config.runs("lag") || config.runs("throughput")); rep++) {
				for (int rate : config.runs("lag") ? config.rates() : List.<Integer>of()) {
					for (Side side : SIDES) {
						progress("rep " + rep + ": lag at " + rate + " tx/s, " + side.label());
						LoadRuns.Outcome o = load.lag(side, rate);
						observerPolls += o.observerPolls();
						recordLag(lag, side, rate, o, config);
					}
				}
				for (Side side : config.runs("throughput") ? SIDES : List.<Side>of()) {
					progress("rep " + rep + ": throughput, " + side.label());
					recordThroughput(write, side, load.throughput(side));
				}
			}
			if (config.runs("restore")) {
				restoreAll(config, s3proxy, direct, restore, report);
			}
			if (config.runs("history")) {
				historyAll(config, s3proxy, direct, report);
			}
			if (config.runs("follower")) {
				FollowerRuns.runAll(config, s3proxy, report);
			}
			if (config.runs("handover")) {
				HandoverTables.runAll(config, new HandoverRuns(config, s3proxy), report);
			}
			else if (config.runs("idle")) {
				HandoverTables.runIdle(config, new HandoverRuns(config, s3proxy), report);
			}
			if (config.runs("lag")) {
				report.note("JVM columns (off, ours): CPU is the writer JVM's minus the writer thread's (so it includes the"
						+ " JVM's JIT and GC; 'off' shows that baseline), RSS and heap are the whole writer JVM's;"
						+ " Litestream's are its own process's");
				report.note("lag observer: LIST every 5 ms straight at S3Proxy (" + observerPolls
						+ " LISTs in total, not counted against any tool); lag resolution ≈ 5 ms + one LIST");
			}
		}
		report.note("cells: median (min–max) over " + config.reps() + " repetition(s); " + config.seconds()
				+ " s measured per load run after " + config.warmupSeconds() + " s warm-up; idle measured for "
				+ config.idleSeconds() + " s after a 3 s settle; child JVMs: " + String.join(" ", Jvm.FLAGS));
		report.note("machine: " + Runtime.getRuntime().availableProcessors() + " CPUs, " + System.getProperty("os.name")
				+ " " + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version")
				+ "; total benchmark time " + Duration.between(started, Instant.now()).toSeconds() + " s");
		return report.render();
	}

	private static void restoreAll(BenchmarkConfig config, S3ProxyServer s3proxy, S3Client direct, Report.Table restore,
			Report report) throws Exception {
		RestoreRuns restores = new RestoreRuns(config, s3proxy, direct);
		progress("building replica (i): " + config.dbMb() + " MiB database, snapshot only");
		RestoreRuns.Replica snapshot = restores.snapshotOnly();
		progress("building replica (ii): " + config.tx() + " small tx, one segment every " + config.txPerSegment());
		RestoreRuns.Replica segments = restores.manySegments();
		for (int rep = 1; rep <= config.reps(); rep++) {
			for (RestoreRuns.Replica replica : List.of(snapshot, segments)) {
				progress("rep " + rep + ": restore " + replica.title());
				recordRestore(restore, replica, OURS, restores.ours(replica));
				recordRestore(restore, replica, LITESTREAM, restores.litestream(replica));
			}
		}
		report.note("replica (i): " + snapshot.title() + ", " + snapshot.walSegments() + " WAL segment(s); replica (ii): "
				+ RestoreRuns.mib(segments.dbBytes()) + " MiB database, " + segments.walSegments()
				+ " WAL segments; both written by our engine, each restored by both tools");
	}

	private static void historyAll(BenchmarkConfig config, S3ProxyServer s3proxy, S3Client direct, Report report)
			throws Exception {
		try (CountingProxy proxy = new CountingProxy(s3proxy.endpoint(), config.s3LatencyMillis())) {
			HistoryRuns runs = new HistoryRuns(config, s3proxy, direct, proxy.endpoint());
			List<HistoryRuns.Point> points = runs.buildAll();
			Report.Table t = report.table("Restore time against history length (" + config.s3LatencyMillis()
					+ " ms added to every S3 request)", List.of(OURS, OURS_SEGMENTS_ONLY, LITESTREAM),
					List.of(new Report.Ratio("ours / Litestream", OURS, LITESTREAM),
							new Report.Ratio("ours / ours from segments only", OURS, OURS_SEGMENTS_ONLY)));
			for (int rep = 1; rep <= config.reps(); rep++) {
				for (HistoryRuns.Point point : points) {
					progress("rep " + rep + ": restore after " + point.segments() + " segments, and its snapshot");
					for (String col : List.of(OURS, OURS_SEGMENTS_ONLY, LITESTREAM)) {
						double snapshot = restoreThrough(t, proxy, runs.restores(), point.snapshot(), col);
						if (col.equals(OURS_SEGMENTS_ONLY)) {
							runs.restores().hideCompacted(point.history().root());
						}
						double history;
						try {
							history = restoreThrough(t, proxy, runs.restores(), point.history(), col);
						}
						finally {
							if (col.equals(OURS_SEGMENTS_ONLY)) {
								runs.restores().restoreCompacted(point.history().root());
							}
						}
						t.add(point.segments() + " segments: wall ÷ the same state's snapshot-only wall", col,
								history / snapshot);
					}
				}
			}
			for (HistoryRuns.Point point : points) {
				report.note("history of " + point.segments() + " commits: " + point.history().walSegments()
						+ " WAL segment objects and " + point.compactedWals() + " compacted WAL objects, "
						+ RestoreRuns.mib(point.history().dbBytes())
						+ " MiB database; its snapshot-only replica: " + point.snapshot().walSegments()
						+ " WAL segment object(s); both written by our engine, each restored by both tools through"
						+ " the latency proxy");
			}
		}
	}

	/** One restore through the latency proxy: records wall time and requests, returns the wall time. */
	private static double restoreThrough(Report.Table t, CountingProxy proxy, RestoreRuns restores,
			RestoreRuns.Replica replica, String col) throws Exception {
		long gets = proxy.count(CountingProxy.Kind.GET);
		long lists = proxy.count(CountingProxy.Kind.LIST);
		RestoreRuns.Outcome o = col.equals(LITESTREAM) ? restores.litestream(replica) : restores.ours(replica);
		t.add(replica.title() + ": wall s (process start to exit)", col, o.wallSeconds());
		t.add(replica.title() + ": GET requests", col, proxy.count(CountingProxy.Kind.GET) - gets);
		t.add(replica.title() + ": LIST requests", col, proxy.count(CountingProxy.Kind.LIST) - lists);
		return o.wallSeconds();
	}

	private static void recordLag(Report.Table t, Side side, int rate, LoadRuns.Outcome o, BenchmarkConfig config) {
		String col = column(side);
		String at = " @ " + rate + " tx/s";
		for (String row : List.of("lag p50", "lag p99", "lag max", "commits never seen durable",
				"WAL objects the 5 ms poll missed (found by a final listing)", "WAL indexes without an offset-0 object")) {
			t.declare(row + at);
		}
		if (o.lags() != null) {
			double[] lags = o.lags();
			long missing = java.util.Arrays.stream(lags).filter(Double::isNaN).count();
			double[] sorted = Stats.sorted(java.util.Arrays.stream(lags).filter((d) -> !Double.isNaN(d)).toArray());
			t.add("lag p50" + at, col, Stats.percentile(sorted, 50));
			t.add("lag p99" + at, col, Stats.percentile(sorted, 99));
			t.add("lag max" + at, col, Stats.percentile(sorted, 100));
			t.add("commits never seen durable" + at, col, missing);
			// Harness, not tool: an object listed only at the end; its commits count as never seen.
			t.add("WAL objects the 5 ms poll missed (found by a final listing)" + at, col, o.objectsMissedByPolling());
			// Tool: a replica index that does not start at offset 0 would be a gap.
			t.add("WAL indexes without an offset-0 object" + at, col, o.indexesWithoutStart());
		}
		t.add("replicator CPU s/min, load" + at, col, o.replicatorCpu(side, "load-start", "load-end") * 60
				/ o.seconds("load-start", "load-end"));
		t.add("replicator CPU s/min, idle" + at, col, o.replicatorCpu(side, "idle-start", "idle-end") * 60
				/ o.seconds("idle-start", "idle-end"));
		double peak = (side == Side.LITESTREAM) ? o.litestreamPeakRss() : o.jvmPeakRss();
		// For the JVM sides this is the whole writer JVM (writer + engine); "off" is that JVM without the engine.
		t.add("replicator peak RSS MiB" + at, col, peak / 1048576.0);
		if (side != Side.LITESTREAM) {
			t.add("JVM heap peak MiB (incl. writer)" + at, col, Long.parseLong(o.result().get("heapPeakBytes")) / 1048576.0);
		}
		for (CountingProxy.Kind kind : List.of(CountingProxy.Kind.PUT, CountingProxy.Kind.GET, CountingProxy.Kind.LIST)) {
			if (side.replicates()) {
				t.add(kind + "/min, load" + at, col, o.perMinute(kind, "load-start", "load-end"));
				t.add(kind + "/min, idle" + at, col, o.perMinute(kind, "idle-start", "idle-end"));
			}
		}
	}

	private static void recordThroughput(Report.Table t, Side side, LoadRuns.Outcome o) {
		String col = column(side);
		double tps = Long.parseLong(o.result().get("tx")) / (Long.parseLong(o.result().get("nanos")) / 1e9);
		t.add("tx/s", col, tps);
		t.add("WAL max MiB", col, Long.parseLong(o.result().get("walMaxBytes")) / 1048576.0);
		// Cores the replicator kept busy beside the writer (2 cores are shared with S3Proxy too).
		t.add("replicator CPU cores (CPU s per s)", col,
				o.replicatorCpu(side, "load-start", "load-end") / o.seconds("load-start", "load-end"));
		t.add("writer thread CPU cores (CPU s per s)", col,
				o.writerCpuSeconds("load-start", "load-end") / o.seconds("load-start", "load-end"));
		if (side == Side.OFF) {
			lastOff = tps;
		}
		else {
			t.add("tx/s vs replication off (same repetition)", col, tps / lastOff);
		}
	}

	/** The replication-off throughput of the current repetition (OFF always runs first). */
	private static double lastOff = Double.NaN;

	private static void recordRestore(Report.Table t, RestoreRuns.Replica replica, String col, RestoreRuns.Outcome o) {
		String r = replica.title();
		t.add(r + ": wall s (process start to exit)", col, o.wallSeconds());
		t.add(r + ": MB/s (database size / wall)", col, replica.dbBytes() / 1e6 / o.wallSeconds());
		t.add(r + ": peak RSS MiB", col, o.peakRssBytes() / 1048576.0);
		t.add(r + ": CPU s of the restoring process", col, o.cpuSeconds());
		if (!Double.isNaN(o.s3proxyCpuSeconds())) {
			t.add(r + ": CPU s of S3Proxy meanwhile", col, o.s3proxyCpuSeconds());
		}
		if (!Double.isNaN(o.innerSeconds())) {
			t.add(r + ": s inside Restorer.restore() (no JVM start)", col, o.innerSeconds());
		}
	}

	private static String column(Side side) {
		return switch (side) {
			case OFF -> OFF;
			case OURS_DEFAULT -> DEFAULT;
			case OURS_LOW_LATENCY -> LOW_LATENCY;
			case LITESTREAM -> LITESTREAM;
		};
	}

	static void progress(String message) {
		System.out.println("[benchmark " + java.time.LocalTime.now().withNano(0) + "] " + message);
		System.out.flush();
	}

}
