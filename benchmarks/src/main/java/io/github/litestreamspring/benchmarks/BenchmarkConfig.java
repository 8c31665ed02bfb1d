package io.github.litestreamspring.benchmarks;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The benchmark's knobs; every one has a command-line flag so a short smoke run and the full run
 * share the code.
 *
 * @param seconds measured seconds of each load run (lag and throughput)
 * @param warmupSeconds seconds of load before measuring, excluded from every figure
 * @param idleSeconds seconds of idle measured after each lag run's load
 * @param reps repetitions of every scenario
 * @param rates the open-loop rates (tx/s) for lag
 * @param dbMb size of the snapshot-only restore database
 * @param tx transactions in the many-segment restore replica
 * @param txPerSegment transactions per shipped WAL segment in that replica
 * @param workDir where databases and logs go
 * @param out file to write the report to, or {@code null}
 * @param scenarios which parts to run: {@code lag} (lag and cost), {@code throughput}, {@code restore},
 *        {@code handover} (lease hand-over, idle lease cost, failover after SIGKILL), {@code follower} (a read
 *        replica's staleness, apply throughput and S3 requests; not run by default); {@code load} stands for
 *        lag and throughput
 * @param handovers planned hand-overs per chain (per rate and repetition) in the hand-over scenario
 * @param ttlSeconds the lease TTL of the hand-over scenario (the starter's default: 30 s)
 * @param maxUploadsPerSecond the upload ceiling of our low-latency side (0: none; the engine's default,
 *        {@code ReplicaOptions.DEFAULT_MAX_UPLOADS_PER_SECOND}, unless set)
 * @param historySegments the history lengths (WAL segments) of the {@code history} scenario
 * @param s3LatencyMillis latency added to every S3 request of the {@code history} scenario's restores
 * @param leaseIdleAfterSeconds the idle lease's quiet time in the {@code idle} part of the hand-over scenario
 *        (the starter's default: 60 s)
 * @param leaseIdleTtlSeconds the idle lease's TTL there (the starter's default: 300 s)
 */
public record BenchmarkConfig(double seconds, double warmupSeconds, double idleSeconds, int reps, List<Integer> rates,
		int dbMb, int tx, int txPerSegment, Path workDir, Path out, List<String> scenarios, int handovers,
		double ttlSeconds, int maxUploadsPerSecond, List<Integer> historySegments, long s3LatencyMillis,
		double leaseIdleAfterSeconds, double leaseIdleTtlSeconds) {

	public static final String USAGE = """
			Usage: benchmarks/run.sh [--seconds 10] [--warmup 2] [--idle 10] [--reps 3] [--rates 100,1000]
			                         [--db-mb 512] [--tx 10000] [--tx-per-segment 2] [--work DIR] [--out FILE]
			                         [--scenarios load,restore,handover | lag | throughput | handover | idle | follower]
			                         [--handovers 10] [--ttl 30] [--lease-idle-after 60] [--lease-idle-ttl 300]
			                         [--max-uploads 10]
			                         [--history 1000,10000] [--s3-latency-ms 20]   (scenario history, not in the default run; follower neither)""";

	public static BenchmarkConfig parse(String... args) {
		double seconds = 10;
		double warmup = 2;
		double idle = 10;
		int reps = 3;
		List<Integer> rates = List.of(100, 1000);
		int dbMb = 512;
		int tx = 10_000;
		int txPerSegment = 2;
		Path work = Path.of("benchmarks", "target", "bench-work");
		Path out = null;
		List<String> scenarios = List.of("load", "restore", "handover");
		int handovers = 10;
		double ttl = io.github.litestreamspring.engine.lease.LeaseOptions.DEFAULT_TTL.toMillis() / 1000.0;
		int maxUploads = io.github.litestreamspring.engine.replication.ReplicaOptions.DEFAULT_MAX_UPLOADS_PER_SECOND;
		List<Integer> history = List.of(1_000, 10_000);
		long latency = 20;
		double idleAfter = 60;
		double idleTtl = io.github.litestreamspring.engine.lease.LeaseOptions.DEFAULT_IDLE_TTL.toMillis() / 1000.0;
		for (int i = 0; i < args.length; i++) {
			String flag = args[i];
			if (flag.equals("-h") || flag.equals("--help")) {
				throw new IllegalArgumentException(USAGE);
			}
			if (i + 1 >= args.length) {
				throw new IllegalArgumentException("missing value for " + flag + "\n" + USAGE);
			}
			String value = args[++i];
			switch (flag) {
				case "--seconds" -> seconds = Double.parseDouble(value);
				case "--warmup" -> warmup = Double.parseDouble(value);
				case "--idle" -> idle = Double.parseDouble(value);
				case "--reps" -> reps = Integer.parseInt(value);
				case "--rates" -> rates = Arrays.stream(value.split(",")).map(String::trim).map(Integer::valueOf).toList();
				case "--db-mb" -> dbMb = Integer.parseInt(value);
				case "--tx" -> tx = Integer.parseInt(value);
				case "--tx-per-segment" -> txPerSegment = Integer.parseInt(value);
				case "--work" -> work = Path.of(value);
				case "--out" -> out = Path.of(value);
				case "--handovers" -> handovers = Integer.parseInt(value);
				case "--ttl" -> ttl = Double.parseDouble(value);
				case "--max-uploads" -> maxUploads = Integer.parseInt(value);
				case "--history" -> history = Arrays.stream(value.split(",")).map(String::trim).map(Integer::valueOf).toList();
				case "--s3-latency-ms" -> latency = Long.parseLong(value);
				case "--lease-idle-after" -> idleAfter = Double.parseDouble(value);
				case "--lease-idle-ttl" -> idleTtl = Double.parseDouble(value);
				case "--scenarios" -> scenarios = Arrays.stream(value.split(",")).map(String::trim).toList();
				default -> throw new IllegalArgumentException("unknown flag " + flag + "\n" + USAGE);
			}
		}
		if (seconds <= 0 || reps <= 0 || rates.isEmpty() || dbMb <= 0 || tx <= 0 || txPerSegment <= 0 || handovers <= 0
				|| ttl < 0.3 || maxUploads < 0 || history.isEmpty() || history.stream().anyMatch((n) -> n <= 0)
				|| latency < 0 || idleAfter <= 0 || idleTtl < ttl) {
			throw new IllegalArgumentException("every count and duration must be positive\n" + USAGE);
		}
		if (scenarios.isEmpty() || !List.of("load", "lag", "throughput", "restore", "handover", "idle", "history",
				"follower").containsAll(scenarios)) {
			throw new IllegalArgumentException("--scenarios takes load (= lag, throughput), restore, handover, idle "
					+ "(the idle-lease part of handover alone), history and/or follower\n"
					+ USAGE);
		}
		return new BenchmarkConfig(seconds, warmup, idle, reps, rates, dbMb, tx, txPerSegment,
				work.toAbsolutePath(), out, scenarios, handovers, ttl, maxUploads, history, latency, idleAfter, idleTtl);
	}

	boolean runs(String scenario) {
		boolean partOfLoad = scenario.equals("lag") || scenario.equals("throughput");
		return this.scenarios.contains(scenario) || (partOfLoad && this.scenarios.contains("load"));
	}

	long millis() {
		return Math.round(this.seconds * 1000);
	}

	long warmupMillis() {
		return Math.round(this.warmupSeconds * 1000);
	}

	long ttlMillis() {
		return Math.round(this.ttlSeconds * 1000);
	}

	long leaseIdleAfterMillis() {
		return Math.round(this.leaseIdleAfterSeconds * 1000);
	}

	long leaseIdleTtlMillis() {
		return Math.round(this.leaseIdleTtlSeconds * 1000);
	}

	long idleMillis() {
		return Math.round(this.idleSeconds * 1000);
	}

}
