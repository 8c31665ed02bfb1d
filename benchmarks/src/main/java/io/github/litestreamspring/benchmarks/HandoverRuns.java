package io.github.litestreamspring.benchmarks;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.Restorer;

/**
 * The lease hand-over scenarios of issue #14, each instance a {@link HandoverWriterMain} child JVM with
 * its own data directory and its own {@link CountingProxy} in front of the shared S3Proxy: a chain of
 * planned hand-overs under open-loop load, the lease's request cost while idle, and an unplanned
 * failover after a SIGKILL. Every chain ends with a restore of the replica checked against every
 * commit any instance acknowledged.
 */
final class HandoverRuns {

	/** How long each new holder writes before the next instance asks it for the lease. */
	private static final long SETTLE_MILLIS = 1_000;

	/** Bound of every wait for a child's event: JVM start, restore, a TTL and a hand-over fit well within. */
	private static final long EVENT_TIMEOUT_MILLIS = 180_000;

	private final BenchmarkConfig config;

	private final S3ProxyServer s3proxy;

	private int runs;

	HandoverRuns(BenchmarkConfig config, S3ProxyServer s3proxy) {
		this.config = config;
		this.s3proxy = s3proxy;
	}

	/** One planned hand-over, old instance to new one. */
	record Handover(double unavailableSeconds, double handoverSeconds, double pauseToTransferSeconds,
			double transferToFirstCommitSeconds, long refused, boolean sameGeneration) {
	}

	/** A chain of hand-overs and the final check. */
	record Chain(List<Handover> handovers, long acknowledged, long missing) {
	}

	/** Requests per minute (PUT, GET, LIST) over a window. */
	record Rates(double put, double get, double list, double seconds) {

		static Rates of(CountingProxy proxy, long from, long to) {
			double minutes = (to - from) / 60_000.0;
			return new Rates(proxy.count(CountingProxy.Kind.PUT, from, to) / minutes,
					proxy.count(CountingProxy.Kind.GET, from, to) / minutes,
					proxy.count(CountingProxy.Kind.LIST, from, to) / minutes, (to - from) / 1000.0);
		}

	}

	/**
	 * Idle holders (lease off, lease on and never idle, idle lease), and a requester of each lease's
	 * path while it waits for the lease ({@code acquireSeconds}: first request to holding it).
	 */
	record Idle(Rates leaseOff, Rates holder, Rates idleHolder, Rates requester, double requesterSeconds,
			Rates idleRequester, double idleRequesterSeconds, boolean idleContinued) {
	}

	/** A holder killed under load and the instance that took over after the TTL. */
	record Failover(long acknowledged, long lost, double lostSpanSeconds, double oldestLostAgeSeconds,
			double failoverSeconds, boolean sameGeneration) {
	}

	/** A chain of {@code --handovers} planned hand-overs at {@code rate}, default settings. */
	Chain planned(int rate) throws Exception {
		String root = "handover-" + (++this.runs) + "-" + rate;
		List<Instance> all = new ArrayList<>();
		List<Handover> handovers = new ArrayList<>();
		try {
			Instance old = launch(root, 0, "first", Side.OURS_DEFAULT, rate, true, all);
			old.await("first-commit");
			Thread.sleep(SETTLE_MILLIS);
			for (int k = 1; k <= this.config.handovers(); k++) {
				Instance next = launch(root, k, "next", Side.OURS_DEFAULT, rate, true, all);
				next.await("first-commit");
				old.stopGracefully();
				List<Record> oldLog = Record.read(old.commits);
				List<Record> newLog = Record.read(next.commits);
				long lastOld = oldLog.stream().filter(Record::committed).mapToLong(Record::epochNanos).max().orElseThrow();
				long firstNew = newLog.stream().filter(Record::committed).mapToLong(Record::epochNanos).min().orElseThrow();
				long closed = old.await("closed");
				handovers.add(new Handover((firstNew - lastOld) / 1e9, (closed - next.await("acquire-start")) / 1e3,
						(closed - old.await("paused")) / 1e3, (firstNew / 1e6 - closed) / 1e3,
						oldLog.stream().filter((r) -> !r.committed()).count(),
						next.detail("continued").startsWith("same-generation ")));
				old = next;
				Thread.sleep(SETTLE_MILLIS);
			}
			old.stopGracefully();
			long[] check = check(root, all);
			return new Chain(handovers, check[0], check[1]);
		}
		finally {
			all.forEach(Instance::kill);
		}
	}

	/**
	 * Request rates of quiet holders side by side — lease off, lease on but never idle, idle lease — then
	 * a requester of the active lease and one of the idle lease while each waits for it.
	 */
	Idle idle() throws Exception {
		String rootOn = "idle-on-" + (++this.runs);
		String rootOff = "idle-off-" + this.runs;
		String rootIdle = "idle-idle-" + this.runs;
		List<Instance> all = new ArrayList<>();
		try {
			Instance on = launch(rootOn, 0, "first", Side.OURS_DEFAULT, 0, true, 0, all);
			Instance off = launch(rootOff, 0, "first", Side.OURS_DEFAULT, 0, false, 0, all);
			Instance idle = launch(rootIdle, 0, "first", Side.OURS_DEFAULT, 0, true, this.config.leaseIdleAfterMillis(),
					all);
			on.await("started");
			off.await("started");
			idle.await("started");
			// The idle holder goes idle after its quiet time, counted from the idle database's checkpoint
			// (the checkpoint interval after its last change, at start).
			Thread.sleep(3_000 + idleCheckpointMillis() + this.config.leaseIdleAfterMillis() + 2_000);
			long from = System.currentTimeMillis();
			// At least one TTL of each kind, i.e. three renewals: a shorter window would mostly measure where
			// they fall.
			Thread.sleep(Math.max(this.config.idleMillis(), Math.max(this.config.ttlMillis(),
					this.config.leaseIdleTtlMillis())));
			long to = System.currentTimeMillis();
			Rates holder = Rates.of(on.proxy, from, to);
			Rates leaseOff = Rates.of(off.proxy, from, to);
			Rates idleHolder = Rates.of(idle.proxy, from, to);
			Instance requester = launch(rootOn, 1, "next", Side.OURS_DEFAULT, 0, true, 0, all);
			long asking = requester.await("acquire-start");
			long acquired = requester.await("acquired");
			Rates waiting = Rates.of(requester.proxy, asking, acquired);
			Instance idleRequester = launch(rootIdle, 1, "next", Side.OURS_DEFAULT, 0, true,
					this.config.leaseIdleAfterMillis(), all);
			long idleAsking = idleRequester.await("acquire-start");
			long idleAcquired = idleRequester.await("acquired");
			Rates idleWaiting = Rates.of(idleRequester.proxy, idleAsking, idleAcquired);
			boolean continued = idleRequester.detail("continued").startsWith("same-generation ");
			on.stopGracefully();
			off.stopGracefully();
			idle.stopGracefully();
			requester.stopGracefully();
			idleRequester.stopGracefully();
			return new Idle(leaseOff, holder, idleHolder, waiting, (acquired - asking) / 1e3, idleWaiting,
					(idleAcquired - idleAsking) / 1e3, continued);
		}
		finally {
			all.forEach(Instance::kill);
		}
	}

	/**
	 * A holder writing at 1,000 tx/s is killed with SIGKILL after {@code --seconds}; a new instance
	 * restores, takes the lease after the TTL, continues and writes; the final restore tells which of
	 * the killed writer's acknowledged commits were never shipped.
	 */
	Failover killed(Side side) throws Exception {
		String root = "failover-" + (++this.runs) + "-" + side.name().toLowerCase();
		List<Instance> all = new ArrayList<>();
		try {
			Instance holder = launch(root, 0, "first", side, 1000, true, all);
			holder.await("first-commit");
			Thread.sleep(this.config.millis());
			long killedAt = HandoverWriterMain.epochNanos();
			holder.process.destroyForcibly();
			holder.process.waitFor(30, TimeUnit.SECONDS);
			Instance next = launch(root, 1, "next", side, 1000, true, all);
			next.await("first-commit");
			Thread.sleep(SETTLE_MILLIS);
			next.stopGracefully();
			Set<Long> restored = restoredTokens(root);
			List<Record> acked = Record.read(holder.commits).stream().filter(Record::committed).toList();
			List<Record> lost = acked.stream().filter((r) -> !restored.contains(token(0, r.seq()))).toList();
			long firstNew = Record.read(next.commits).stream().filter(Record::committed).mapToLong(Record::epochNanos)
				.min().orElseThrow();
			double span = lost.isEmpty() ? 0 : (lost.get(lost.size() - 1).epochNanos() - lost.get(0).epochNanos()) / 1e9;
			double age = lost.isEmpty() ? 0 : (killedAt - lost.get(0).epochNanos()) / 1e9;
			return new Failover(acked.size(), lost.size(), span, age, (firstNew - killedAt) / 1e9,
					next.detail("continued").startsWith("same-generation "));
		}
		finally {
			all.forEach(Instance::kill);
		}
	}

	/** {acknowledged commits of every instance, those missing from a restore of the replica}. */
	private long[] check(String root, List<Instance> instances) throws Exception {
		Set<Long> restored = restoredTokens(root);
		long acked = 0;
		long missing = 0;
		for (Instance instance : instances) {
			for (Record r : Record.read(instance.commits)) {
				if (r.committed()) {
					acked++;
					missing += restored.contains(token(instance.writer, r.seq())) ? 0 : 1;
				}
			}
		}
		return new long[] { acked, missing };
	}

	/** Every (writer, seq) in the replica's latest restore, as restored by our engine. */
	private Set<Long> restoredTokens(String root) throws IOException, SQLException {
		Path out = this.config.workDir().resolve(root).resolve("final-restore.db");
		Files.deleteIfExists(out);
		try (S3ReplicaClient client = S3ReplicaClient.owning(S3Clients.client(this.s3proxy.endpoint()), LoadRuns.BUCKET,
				root, S3ReplicaOptions.defaults())) {
			new Restorer(client).restore(RestoreOptions.latest(out));
		}
		Set<Long> tokens = new HashSet<>();
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + out);
				Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("SELECT writer, seq FROM t")) {
			while (rs.next()) {
				tokens.add(token(rs.getLong(1), rs.getLong(2)));
			}
		}
		return tokens;
	}

	private static long token(long writer, long seq) {
		return (writer << 40) | seq;
	}

	private Instance launch(String root, int writer, String role, Side side, double rate, boolean leases,
			List<Instance> all) throws Exception {
		return launch(root, writer, role, side, rate, leases, 0, all);
	}

	/**
	 * The idle database's checkpoint interval of an instance with idle leases: the engine's default (1 min),
	 * or the idle time if shorter (the smoke test's seconds), so that a short run still sees the lease idle.
	 */
	private long idleCheckpointMillis() {
		return Math.min(io.github.litestreamspring.engine.db.DatabaseOptions.DEFAULT_CHECKPOINT_INTERVAL.toMillis(),
				this.config.leaseIdleAfterMillis());
	}

	/** @param idleAfterMillis the lease's idle time, 0 for a lease that is never idle */
	private Instance launch(String root, int writer, String role, Side side, double rate, boolean leases,
			long idleAfterMillis, List<Instance> all) throws Exception {
		Path instanceDir = this.config.workDir().resolve(root).resolve("instance-" + writer);
		if (role.equals("first")) {
			// A new run's root: an earlier benchmark's files under the same name must not be restored over.
			WorkDirs.deleteTree(instanceDir.getParent());
		}
		Path dir = Files.createDirectories(instanceDir);
		Path db = dir.resolve("bench.db");
		if (role.equals("first")) {
			createSchema(db);
		}
		CountingProxy proxy = new CountingProxy(this.s3proxy.endpoint());
		Path commits = dir.resolve("commits.bin");
		Path stop = dir.resolve("stop");
		List<String> args = List.of("db=" + db, "side=" + side.name(), "role=" + role, "rate=" + rate,
				"writer=" + writer, "stop=" + stop, "commits=" + commits, "leases=" + leases,
				"ttlMillis=" + this.config.ttlMillis(), "idleAfterMillis=" + idleAfterMillis,
				"checkpointMillis=" + ((idleAfterMillis > 0) ? idleCheckpointMillis() : 0),
				"idleTtlMillis=" + this.config.leaseIdleTtlMillis(), "endpoint=" + proxy.endpoint(),
				"bucket=" + LoadRuns.BUCKET, "root=" + root);
		Process process = Jvm.start(HandoverWriterMain.class, dir.resolve("writer.out"), dir.resolve("writer.err"), args);
		Instance instance = new Instance(writer, dir, commits, stop, process, proxy);
		all.add(instance);
		return instance;
	}

	static void createSchema(Path db) throws SQLException {
		try (Connection c = WriterMain.open(db); Statement st = c.createStatement()) {
			st.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL, "
					+ "seq INTEGER NOT NULL, payload TEXT NOT NULL)");
		}
	}

	/** One attempted transaction from a writer's commit log. */
	record Record(long epochNanos, long seq, boolean committed) {

		/** The log's whole records (a SIGKILL may have torn the last one). */
		static List<Record> read(Path file) throws IOException {
			byte[] bytes = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
			ByteBuffer b = ByteBuffer.wrap(bytes);
			List<Record> records = new ArrayList<>();
			while (b.remaining() >= HandoverWriterMain.RECORD_BYTES) {
				records.add(new Record(b.getLong(), b.getLong(), b.get() == HandoverWriterMain.COMMITTED));
			}
			return records;
		}

	}

	/** A running {@link HandoverWriterMain}. */
	private static final class Instance {

		final int writer;

		final Path dir;

		final Path commits;

		final Path stop;

		final Process process;

		final CountingProxy proxy;

		Instance(int writer, Path dir, Path commits, Path stop, Process process, CountingProxy proxy) {
			this.writer = writer;
			this.dir = dir;
			this.commits = commits;
			this.stop = stop;
			this.process = process;
			this.proxy = proxy;
		}

		/** The epoch millis of event {@code name}, waiting for it (bounded); fails if the process ends first. */
		long await(String name) throws Exception {
			return Long.parseLong(awaitLine(name)[2]);
		}

		/** The detail of event {@code name}. */
		String detail(String name) throws Exception {
			String[] p = awaitLine(name);
			return (p.length > 3) ? p[3] : "";
		}

		private String[] awaitLine(String name) throws Exception {
			long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EVENT_TIMEOUT_MILLIS);
			while (true) {
				boolean ended = !this.process.isAlive();
				for (String line : Files.readAllLines(this.dir.resolve("writer.out"))) {
					String[] p = line.split(" ", 4);
					if (p.length >= 3 && p[0].equals("EVENT") && p[1].equals(name)) {
						return p;
					}
				}
				if (ended || System.nanoTime() - deadline >= 0) {
					throw new IllegalStateException("instance " + this.dir + " " + (ended ? "ended" : "timed out")
							+ " before event '" + name + "': " + Files.readString(this.dir.resolve("writer.err")));
				}
				Thread.sleep(20);
			}
		}

		/** Asks the writer to stop (it stops replication gracefully) and waits for it. */
		void stopGracefully() throws Exception {
			Files.writeString(this.stop, "stop");
			if (!this.process.waitFor(120, TimeUnit.SECONDS)) {
				throw new IllegalStateException("instance " + this.dir + " did not stop in time");
			}
			this.proxy.close();
		}

		void kill() {
			this.process.destroyForcibly();
			try {
				this.process.waitFor(30, TimeUnit.SECONDS);
				this.proxy.close();
			}
			catch (IOException | InterruptedException ex) {
				// best effort at the end of a run
			}
		}

	}

}
