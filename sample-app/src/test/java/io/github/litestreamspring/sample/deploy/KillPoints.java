package io.github.litestreamspring.sample.deploy;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The steps of a hand-over at which the deploy tests kill one instance with SIGKILL, and how each is
 * reached. A step is detected from outside (lease.json, the probes, the instance's log), and the instance
 * is frozen with SIGSTOP the moment it is seen, so that what it had done by then can be checked before it
 * is killed: a step the instance had already passed is reported as not reached (the test fails), never
 * silently accepted. Steps too short to be seen by polling are made long deterministically: the old
 * instance keeps a write transaction open ({@link WriteHolds}), so its drain lasts up to a hold; or the
 * new instance is frozen from its request on, so it cannot take the lease before the test has acted.
 */
final class KillPoints {

	/** The old instance (the holder) killed. */
	enum OldKilled {

		/** Killed as the new instance's request appears in lease.json, before any transfer. */
		REQUESTED("when the hand-over request appears"),

		/** Killed while its writes are paused and it drains and ships: readiness refusing, the lease still its own. */
		DRAINING("while paused, draining and shipping"),

		/** Killed right after it transferred the lease, before the new instance is ready. */
		TRANSFERRED("right after the transfer");

		private final String text;

		OldKilled(String text) {
			this.text = text;
		}

		@Override
		public String toString() {
			return "old killed " + this.text;
		}

	}

	/** The new instance (the requester) killed. */
	enum NewKilled {

		/** Killed right after its request was written, before the old instance transferred anything. */
		REQUESTED("right after its request"),

		/** Killed after the old instance transferred the lease to it, before it took the lease. */
		TRANSFERRED("right after the transfer"),

		/** Killed holding the lease while it catches up and starts, before it is ready. */
		STARTING("while catching up and starting");

		private final String text;

		NewKilled(String text) {
			this.text = text;
		}

		@Override
		public String toString() {
			return "new killed " + this.text;
		}

	}

	/**
	 * Where the kill happened: whether it was the intended step, when the killed instance stopped acting
	 * (frozen, test clock), and what was seen.
	 */
	record Kill(boolean reached, long frozenAt, String how) {

	}

	/** Each wait for a step: an instance's start, a restore and a hand-over fit in it on this machine. */
	static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);

	/** A write transaction of the old instance lasts this long when its drain must be seen. */
	static final Duration HOLD = Duration.ofMillis(4_000);

	/**
	 * How far into the drain the old instance is killed: with two holds half a hold apart the drain lasts
	 * at least half a hold, and a commit acknowledged before the pause is then older than the shipping
	 * window the test excuses, so it must have been shipped while draining.
	 */
	static final Duration INTO_DRAIN = Duration.ofMillis(1_200);

	private static final Pattern OWNER = Pattern.compile("\"owner\":\"([^\"]+)\"");

	private static final Pattern REQUESTER = Pattern.compile("\"handoverTo\":\"([^\"]+)\"");

	private KillPoints() {
	}

	/** Kills the old instance at {@code step}; the new one runs on. */
	static Kill killOld(DeployScenario s, OldKilled step, AppInstance old, AppInstance neu) throws Exception {
		String oldOwner = owner(s.replica.lease());
		return switch (step) {
			case REQUESTED -> {
				String missed = await(s, () -> requester(s.replica.lease()) != null, "a hand-over request in lease.json");
				long frozenAt = freeze(old);
				String lease = s.replica.lease();
				boolean reached = missed == null && oldOwner.equals(owner(lease)) && requester(lease) != null;
				old.kill();
				yield new Kill(reached, frozenAt, describe(missed, lease) + "; old had noticed the request: "
						+ old.logContains("asks for the lease"));
			}
			case DRAINING -> {
				String missed = await(s, () -> old.refusedAfterReady() && oldOwner.equals(owner(s.replica.lease())),
						"old readiness REFUSING_TRAFFIC while lease.json names it");
				Thread.sleep(INTO_DRAIN.toMillis());
				long frozenAt = freeze(old);
				String lease = s.replica.lease();
				boolean handingOver = old.logContains("asks for the lease");
				boolean reached = missed == null && handingOver && oldOwner.equals(owner(lease))
						&& !lease.contains("\"handedOverFrom\"") && !old.logContains("handed over to instance");
				old.kill();
				yield new Kill(reached, frozenAt,
						describe(missed, lease) + "; frozen " + INTO_DRAIN.toMillis() + " ms after readiness turned refusing"
								+ "; old had noticed the request: " + handingOver + ", had handed over (log): "
								+ old.logContains("handed over to instance"));
			}
			case TRANSFERRED -> {
				// The new instance frozen from its request on cannot take the lease, nor become ready.
				String missed = await(s, () -> requester(s.replica.lease()) != null, "a hand-over request in lease.json");
				neu.freeze();
				String requester = requester(s.replica.lease());
				if (missed == null) {
					missed = await(s, () -> leaseTransferredTo(s.replica.lease(), requester), "the transfer to the new instance");
				}
				long frozenAt = freeze(old);
				String lease = s.replica.lease();
				boolean reached = missed == null && leaseTransferredTo(lease, requester) && !neu.started();
				old.kill();
				neu.resume();
				yield new Kill(reached, frozenAt, describe(missed, lease)
						+ "; new frozen (SIGSTOP) from its request until the old one was killed, started: " + neu.started());
			}
		};
	}

	/** Kills the new instance at {@code step}; the old one runs on. */
	static Kill killNew(DeployScenario s, NewKilled step, AppInstance neu) throws Exception {
		return switch (step) {
			case REQUESTED -> {
				String missed = await(s, () -> requester(s.replica.lease()) != null, "a hand-over request in lease.json");
				long frozenAt = freeze(neu);
				String lease = s.replica.lease();
				boolean reached = missed == null && requester(lease) != null && !lease.contains("\"handedOverFrom\"");
				neu.kill();
				yield new Kill(reached, frozenAt, describe(missed, lease));
			}
			case TRANSFERRED -> {
				String missed = await(s, () -> requester(s.replica.lease()) != null, "a hand-over request in lease.json");
				long frozenAt = freeze(neu);
				String requester = requester(s.replica.lease());
				if (missed == null) {
					missed = await(s, () -> leaseTransferredTo(s.replica.lease(), requester), "the transfer to the new instance");
				}
				String lease = s.replica.lease();
				boolean reached = missed == null && leaseTransferredTo(lease, requester);
				neu.kill();
				yield new Kill(reached, frozenAt, describe(missed, lease)
						+ "; new frozen (SIGSTOP) from its request on, killed once the transfer was in lease.json");
			}
			case STARTING -> {
				String missed = await(s, () -> pidIn(s.replica.lease(), neu),
						"lease.json written by the new instance (it took the lease)");
				long frozenAt = freeze(neu);
				String lease = s.replica.lease();
				boolean started = neu.started();
				boolean reached = missed == null && pidIn(lease, neu) && !started;
				neu.kill();
				yield new Kill(reached, frozenAt, describe(missed, lease) + "; new had started (log): " + started
						+ ", continuing the generation (log): " + neu.logContains("continuing generation"));
			}
		};
	}

	/**
	 * After the new instance was killed: waits (bounded) until the old one handed the lease over to it, if
	 * it had not yet, and then took it back; {@code null} when it did, else what was seen.
	 */
	static String awaitTakenBack(DeployScenario s, String oldOwner) throws InterruptedException {
		String missed = await(s, () -> !oldOwner.equals(owner(s.replica.lease())),
				"the old instance handing the lease over to the killed one");
		if (missed == null) {
			missed = await(s, () -> oldOwner.equals(owner(s.replica.lease())), "the old instance taking the lease back");
		}
		return missed;
	}

	private static long freeze(AppInstance instance) throws Exception {
		instance.freeze();
		return System.currentTimeMillis();
	}

	/** Waits for {@code step}, polling every 10 ms; {@code null} when seen, else why not. */
	private static String await(DeployScenario s, BooleanSupplier step, String what) throws InterruptedException {
		long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
		while (System.nanoTime() < deadline) {
			if (step.getAsBoolean()) {
				return null;
			}
			Thread.sleep(10);
		}
		return "not seen within " + STEP_TIMEOUT.toSeconds() + " s: " + what + " (lease.json: " + s.replica.lease() + ")";
	}

	private static String describe(String missed, String lease) {
		return ((missed != null) ? missed + "; " : "") + "lease.json when frozen: " + ((lease != null) ? lease.strip() : null);
	}

	/** The lease's owner id, or "" when there is no lease. */
	static String owner(String lease) {
		Matcher m = (lease != null) ? OWNER.matcher(lease) : null;
		return (m != null && m.find()) ? m.group(1) : "";
	}

	private static String requester(String lease) {
		Matcher m = (lease != null) ? REQUESTER.matcher(lease) : null;
		return (m != null && m.find()) ? m.group(1) : null;
	}

	/** The lease as the holder writes it for the new owner: owner = requester, {@code handedOverFrom} set. */
	private static boolean leaseTransferredTo(String lease, String requester) {
		return lease != null && requester != null && requester.equals(owner(lease)) && lease.contains("\"handedOverFrom\"");
	}

	private static boolean pidIn(String lease, AppInstance instance) {
		return lease != null && lease.contains("\"pid\":" + instance.pid() + ",");
	}

}
