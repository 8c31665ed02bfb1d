package io.github.litestreamspring.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.interop.LitestreamConfig;
import io.github.litestreamspring.interop.LitestreamProcess;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Lag and throughput runs. Each run gets a fresh database, a fresh replica root and its own
 * {@link CountingProxy}; the writer is a child JVM ({@link WriterMain}) in every case, and
 * Litestream, when it is the replicator, a sidecar process pointed at the same database.
 */
final class LoadRuns {

	static final String BUCKET = "bench";

	private static final long SAMPLE_MILLIS = 50;

	private final BenchmarkConfig config;

	private final S3ProxyServer s3proxy;

	private final S3Client direct;

	private int runs;

	LoadRuns(BenchmarkConfig config, S3ProxyServer s3proxy, S3Client direct) {
		this.config = config;
		this.s3proxy = s3proxy;
		this.direct = direct;
	}

	/** What one run measured. */
	record Outcome(Map<String, Long> phases, Map<String, Long> writerCpu, Map<String, String> result, double[] lags,
			long jvmPeakRss, long litestreamPeakRss, ProcessSampler jvm, ProcessSampler litestream,
			CountingProxy proxy, long observerPolls, long objectsMissedByPolling, long indexesWithoutStart) {

		long phase(String name) {
			return this.phases.get(name);
		}

		double seconds(String from, String to) {
			return (phase(to) - phase(from)) / 1000.0;
		}

		/** CPU seconds of the replicator between two phases: the sidecar's, or our JVM's minus the writer thread's. */
		double replicatorCpu(Side side, String from, String to) {
			if (side == Side.LITESTREAM) {
				return (this.litestream.cpuNanosAt(phase(to)) - this.litestream.cpuNanosAt(phase(from))) / 1e9;
			}
			long jvmCpu = this.jvm.cpuNanosAt(phase(to)) - this.jvm.cpuNanosAt(phase(from));
			long writer = this.writerCpu.get(to) - this.writerCpu.get(from);
			return Math.max(0, jvmCpu - writer) / 1e9;
		}

		/** CPU seconds of the writer thread itself between two phases. */
		double writerCpuSeconds(String from, String to) {
			return (this.writerCpu.get(to) - this.writerCpu.get(from)) / 1e9;
		}

		/** Requests of {@code kind} per minute between two phases, as counted at the wire. */
		double perMinute(CountingProxy.Kind kind, String from, String to) {
			if (this.proxy == null) {
				return Double.NaN;
			}
			return this.proxy.count(kind, phase(from), phase(to)) * 60.0 / seconds(from, to);
		}

	}

	/** An open-loop run at {@code rate} tx/s with lag observation and an idle phase. */
	Outcome lag(Side side, int rate) throws Exception {
		return run(side, "lag", rate);
	}

	/** A closed-loop run: as many small transactions as the writer manages. */
	Outcome throughput(Side side) throws Exception {
		return run(side, "throughput", 0);
	}

	private Outcome run(Side side, String mode, int rate) throws Exception {
		int n = ++this.runs;
		String root = "run-" + n + "-" + side.name().toLowerCase();
		Path dir = Files.createDirectories(this.config.workDir().resolve(root));
		// Every run starts with the page cache's dirty data written out, so that one run's gigabytes of
		// WAL do not throttle the next run's writer (the closed loop writes up to ~250 MB/s).
		flushDirtyPages();
		Path db = dir.resolve("bench.db");
		WriterMain.createSchema(db);
		Path commits = dir.resolve("commits.bin");
		CountingProxy proxy = side.replicates() ? new CountingProxy(this.s3proxy.endpoint()) : null;
		LitestreamProcess litestream = null;
		ProcessSampler litestreamSampler = null;
		LagObserver observer = null;
		try {
			if (side == Side.LITESTREAM) {
				litestream = LitestreamConfig
					.s3Replica(db, new LitestreamConfig.S3Replica(BUCKET, root, proxy.endpoint().toString(),
							S3Clients.REGION, S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY))
					.start(dir.resolve("litestream"));
				litestreamSampler = new ProcessSampler(litestream.pid(), SAMPLE_MILLIS);
			}
			if (mode.equals("lag") && side.replicates()) {
				observer = new LagObserver(this.direct, BUCKET, root, 5);
			}
			List<String> args = new ArrayList<>(List.of("db=" + db, "side=" + side.name(), "mode=" + mode,
					"rate=" + rate, "warmupMillis=" + this.config.warmupMillis(), "millis=" + this.config.millis(),
					"idleMillis=" + this.config.idleMillis(), "commits=" + commits, "bucket=" + BUCKET, "root=" + root,
					"maxUploads=" + this.config.maxUploadsPerSecond()));
			if (proxy != null) {
				args.add("endpoint=" + proxy.endpoint());
			}
			Path stdout = dir.resolve("writer.out");
			Process writer = Jvm.start(WriterMain.class, stdout, dir.resolve("writer.err"), args);
			ProcessSampler jvmSampler = new ProcessSampler(writer.pid(), SAMPLE_MILLIS);
			long limit = this.config.warmupMillis() + this.config.millis() + this.config.idleMillis() + 120_000;
			if (!writer.waitFor(limit, TimeUnit.MILLISECONDS)) {
				writer.destroyForcibly();
				throw new IllegalStateException("writer did not finish in time, see " + dir);
			}
			jvmSampler.close();
			if (writer.exitValue() != 0) {
				throw new IllegalStateException("writer failed (" + writer.exitValue() + "): "
						+ Files.readString(dir.resolve("writer.err")));
			}
			if (litestreamSampler != null) {
				litestreamSampler.close();
			}
			double[] lags = null;
			long polls = 0;
			long missed = 0;
			long withoutStart = 0;
			if (observer != null) {
				observer.close();
				polls = observer.polls();
				lags = observer.lags(CommitLog.read(commits));
				missed = observer.missedByPolling();
				withoutStart = observer.indexesWithoutStart();
				Files.writeString(dir.resolve("observer.txt"), observer.diagnostics());
			}
			Map<String, Long> phases = new HashMap<>();
			Map<String, Long> writerCpu = new HashMap<>();
			Map<String, String> result = new HashMap<>();
			for (String line : Files.readAllLines(stdout)) {
				String[] p = line.split(" ");
				if (p[0].equals("PHASE")) {
					phases.put(p[1], Long.parseLong(p[2]));
					writerCpu.put(p[1], Long.parseLong(p[3]));
				}
				else if (p[0].equals("RESULT")) {
					Arrays.stream(p).skip(1).map((kv) -> kv.split("=", 2)).forEach((kv) -> result.put(kv[0], kv[1]));
				}
			}
			return new Outcome(phases, writerCpu, result, lags, jvmSampler.peakRssBytes(),
					(litestreamSampler != null) ? litestreamSampler.peakRssBytes() : 0, jvmSampler, litestreamSampler,
					proxy, polls, missed, withoutStart);
		}
		finally {
			if (observer != null) {
				observer.close();
			}
			if (litestream != null) {
				litestream.stop();
			}
			if (proxy != null) {
				proxy.close();
			}
			// The databases are measured; only the logs stay (a closed-loop WAL can reach gigabytes).
			for (String name : List.of("bench.db", "bench.db-wal", "bench.db-shm")) {
				Files.deleteIfExists(dir.resolve(name));
			}
		}
	}

	/** Runs {@code sync}, if the machine has it; not a measurement, so failures are ignored. */
	static void flushDirtyPages() {
		try {
			new ProcessBuilder("sync").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
				.start().waitFor(120, TimeUnit.SECONDS);
		}
		catch (IOException ex) {
			// no sync command: runs just start with whatever is dirty
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
