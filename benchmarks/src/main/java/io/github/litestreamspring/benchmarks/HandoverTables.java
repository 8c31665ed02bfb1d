package io.github.litestreamspring.benchmarks;

import java.util.List;

/**
 * Runs the hand-over scenario ({@link HandoverRuns}) repetition after repetition (every part of
 * repetition 1, then of repetition 2, ...) and puts its figures into three report tables. Within one
 * chain the hand-overs give the percentiles; each cell then shows the median (min–max) of those over
 * the repetitions.
 */
final class HandoverTables {

	static final String LEASE_OFF = "lease off";

	static final String HOLDER = "holder, lease never idle";

	static final String IDLE_HOLDER = "holder, idle lease";

	static final String REQUESTER = "requester of the active lease";

	static final String IDLE_REQUESTER = "requester of the idle lease";

	private HandoverTables() {
	}

	static void runAll(BenchmarkConfig config, HandoverRuns runs, Report report) throws Exception {
		List<String> rateColumns = config.rates().stream().map((r) -> r + " tx/s").toList();
		Report.Table planned = report.table("Planned hand-over under open-loop load (engine API, lease TTL "
				+ Report.number(config.ttlSeconds()) + " s, sync interval 1 s)", rateColumns, List.of());
		Report.Table idle = idleTable(config, report);
		Report.Table failover = report.table("Unplanned failover: holder SIGKILLed while writing 1,000 tx/s (lease TTL "
				+ Report.number(config.ttlSeconds()) + " s)", List.of(Benchmark.DEFAULT, Benchmark.LOW_LATENCY),
				List.of());
		for (int rep = 1; rep <= config.reps(); rep++) {
			for (int rate : config.rates()) {
				Benchmark.progress("rep " + rep + ": " + config.handovers() + " planned hand-over(s) at " + rate + " tx/s");
				recordChain(planned, rate + " tx/s", runs.planned(rate));
			}
			Benchmark.progress("rep " + rep + ": idle lease cost");
			recordIdle(idle, runs.idle());
			for (Side side : List.of(Side.OURS_DEFAULT, Side.OURS_LOW_LATENCY)) {
				Benchmark.progress("rep " + rep + ": SIGKILL of the holder, " + side.label());
				recordFailover(failover, (side == Side.OURS_DEFAULT) ? Benchmark.DEFAULT : Benchmark.LOW_LATENCY,
						runs.killed(side));
			}
		}
		report.note("hand-over: each instance is a fresh JVM on its own empty data directory (restore, acquireLeases, "
				+ "Continuation.continueAt, start, then writes at the same open-loop rate through the write gate); the "
				+ "old one writes until the new one's first commit, then stops gracefully; " + config.handovers()
				+ " hand-over(s) per chain, p99 by nearest rank (of up to 100 values it is the maximum); a Spring application "
				+ "adds its own start-up after its DataSource (docs/benchmarks.md)");
		idleNote(config, report);
		report.note("failover: killed after " + config.seconds() + " s of writing; the new instance starts right after "
				+ "the kill, so its time includes a JVM start, the restore and one TTL");
	}

	/** The idle part alone ({@code --scenarios idle}). */
	static void runIdle(BenchmarkConfig config, HandoverRuns runs, Report report) throws Exception {
		Report.Table idle = idleTable(config, report);
		for (int rep = 1; rep <= config.reps(); rep++) {
			Benchmark.progress("rep " + rep + ": idle lease cost");
			recordIdle(idle, runs.idle());
		}
		idleNote(config, report);
	}

	private static Report.Table idleTable(BenchmarkConfig config, Report report) {
		return report.table("Lease requests per minute while idle (lease TTL " + Report.number(config.ttlSeconds())
				+ " s; idle lease after " + Report.number(config.leaseIdleAfterSeconds()) + " s quiet, idle TTL "
				+ Report.number(config.leaseIdleTtlSeconds()) + " s)",
				List.of(LEASE_OFF, HOLDER, IDLE_HOLDER, REQUESTER, IDLE_REQUESTER), List.of());
	}

	private static void idleNote(BenchmarkConfig config, Report report) {
		report.note("idle: the holders measured side by side over " + Report.number(Math.max(config.idleSeconds(),
				Math.max(config.ttlSeconds(), config.leaseIdleTtlSeconds()))) + " s (at least one TTL of each kind), "
				+ "starting 5 s after the idle database's checkpoint and the idle lease's quiet time; each requester from its first lease request to "
				+ "holding the lease: for the active lease that includes the holder's wait for its next renewal "
				+ "(every TTL/3), an idle lease is taken at once");
	}

	private static void recordChain(Report.Table t, String col, HandoverRuns.Chain chain) {
		List<HandoverRuns.Handover> h = chain.handovers();
		double[] unavailable = Stats.sorted(h.stream().mapToDouble(HandoverRuns.Handover::unavailableSeconds).toArray());
		double[] handover = Stats.sorted(h.stream().mapToDouble(HandoverRuns.Handover::handoverSeconds).toArray());
		double[] pause = Stats.sorted(h.stream().mapToDouble(HandoverRuns.Handover::pauseToTransferSeconds).toArray());
		double[] transfer = Stats
			.sorted(h.stream().mapToDouble(HandoverRuns.Handover::transferToFirstCommitSeconds).toArray());
		double[] refused = Stats.sorted(h.stream().mapToDouble(HandoverRuns.Handover::refused).toArray());
		t.add("write unavailability p50 s (old's last commit → new's first)", col, Stats.percentile(unavailable, 50));
		t.add("write unavailability p99 s", col, Stats.percentile(unavailable, 99));
		t.add("write unavailability max s", col, Stats.percentile(unavailable, 100));
		t.add("hand-over time p50 s (request → lease transferred)", col, Stats.percentile(handover, 50));
		t.add("hand-over time max s", col, Stats.percentile(handover, 100));
		t.add("… of which writes paused → lease transferred, p50 s (drain, final sync, CAS)", col,
				Stats.percentile(pause, 50));
		t.add("… writes paused → lease transferred, max s", col, Stats.percentile(pause, 100));
		t.add("lease transferred → new instance's first commit, p50 s", col, Stats.percentile(transfer, 50));
		t.add("lease transferred → new instance's first commit, max s", col, Stats.percentile(transfer, 100));
		t.add("writes refused by the old instance per hand-over, p50", col, Stats.percentile(refused, 50));
		t.add("writes refused by the old instance per hand-over, max", col, Stats.percentile(refused, 100));
		t.add("hand-overs that continued the same generation", col,
				h.stream().filter(HandoverRuns.Handover::sameGeneration).count());
		t.add("hand-overs", col, h.size());
		t.add("acknowledged commits (all instances)", col, chain.acknowledged());
		t.add("acknowledged commits missing from the final restore", col, chain.missing());
	}

	private static void recordIdle(Report.Table t, HandoverRuns.Idle idle) {
		record Column(String name, HandoverRuns.Rates rates) {
		}
		for (Column c : List.of(new Column(LEASE_OFF, idle.leaseOff()), new Column(HOLDER, idle.holder()),
				new Column(IDLE_HOLDER, idle.idleHolder()), new Column(REQUESTER, idle.requester()),
				new Column(IDLE_REQUESTER, idle.idleRequester()))) {
			t.add("PUT/min", c.name(), c.rates().put());
			t.add("GET/min", c.name(), c.rates().get());
			t.add("LIST/min", c.name(), c.rates().list());
			t.add("PUT in the window", c.name(), Math.round(c.rates().put() * c.rates().seconds() / 60));
			t.add("GET in the window", c.name(), Math.round(c.rates().get() * c.rates().seconds() / 60));
			t.add("LIST in the window", c.name(), Math.round(c.rates().list() * c.rates().seconds() / 60));
			t.add("window measured s", c.name(), c.rates().seconds());
		}
		t.add("requester's wait for the lease s", REQUESTER, idle.requesterSeconds());
		t.add("requester's wait for the lease s", IDLE_REQUESTER, idle.idleRequesterSeconds());
		t.add("requester continued the holder's generation (1 = yes)", IDLE_REQUESTER, idle.idleContinued() ? 1 : 0);
	}

	private static void recordFailover(Report.Table t, String col, HandoverRuns.Failover f) {
		t.add("commits the killed writer acknowledged", col, f.acknowledged());
		t.add("of which missing from the final restore (lost)", col, f.lost());
		t.add("time span of the lost commits s (first → last)", col, f.lostSpanSeconds());
		t.add("age of the oldest lost commit at the kill s (RPO)", col, f.oldestLostAgeSeconds());
		t.add("failover s (kill → new instance's first commit)", col, f.failoverSeconds());
		t.add("new instance continued the same generation (1 = yes)", col, f.sameGeneration() ? 1 : 0);
	}

}
