package io.github.litestreamspring.sample.deploy;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Deploys as Kubernetes runs them, with the real application: two instances of the sample in JVMs of
 * their own, on separate data directories, one S3 replica (S3Proxy on loopback), a client writing
 * unique tokens all along. What the client saw acknowledged must be in the replica's latest state, by
 * our restore and by the real {@code litestream restore}, in one generation. Every figure goes to
 * {@code target/deploy-tests/<test>/report.txt}; soft assertions, so that a failure reports them all.
 */
class RollingDeployTests {

	private static final Duration START = Duration.ofSeconds(45);

	private static final Duration STOP = DeployScenario.SHUTDOWN_PHASE.plusSeconds(10);

	/** The new instance must take over within its start, a hand-over (about two TTLs) and a margin. */
	private static final Duration HAND_OVER = Duration.ofSeconds(30);

	@Test
	@Timeout(value = 150, unit = TimeUnit.SECONDS)
	void rollingUpdateLosesNoAcknowledgedWrite() throws Exception {
		SoftAssertions softly = new SoftAssertions();
		try (DeployScenario s = new DeployScenario("rolling-update")) {
			AppInstance old = s.startReady("old", START);
			s.load.target(old);
			softly.assertThat(s.load.awaitAcknowledged(50, Duration.ofSeconds(20))).as("old takes writes").isTrue();

			// RollingUpdate (maxSurge 1, maxUnavailable 0): the new pod starts while the old one serves.
			AppInstance neu = s.start("new");
			boolean ready = neu.awaitReady(START.plus(HAND_OVER));
			String leaseWhenReady = s.replica.lease();
			s.note("new ready: " + ready + ", old alive: " + old.isAlive() + ", lease.json then: " + leaseWhenReady);
			softly.assertThat(ready).as("new instance ready while the old one runs (no deadlock)").isTrue();
			softly.assertThat(old.isAlive()).as("old instance still running when the new one is ready").isTrue();
			softly.assertThat(leaseWhenReady)
				.as("the new instance is not ready before it holds the lease (lease.json when it became ready)")
				.contains("\"pid\":" + neu.pid());

			// As a load balancer would: both endpoints while both are in the Service, then the new one.
			s.load.target(old, neu);
			Thread.sleep(3_000);
			s.load.target(neu);
			s.note("old stopping (SIGTERM)");
			int oldExit = old.stop(STOP);
			s.note("old stopped, exit code " + oldExit);
			softly.assertThat(s.load.awaitAcknowledged(30, Duration.ofSeconds(20))).as("new takes writes").isTrue();
			s.load.close();
			s.note("new stopping (SIGTERM)");
			s.note("new stopped, exit code " + neu.stop(STOP));

			long newReadyAt = neu.firstReadyAt();
			List<LoadClient.Attempt> oldAckedAfterNewReady = s.load.acknowledged()
				.stream()
				.filter((a) -> a.instance().equals("old") && newReadyAt > 0 && a.startedAt() > newReadyAt)
				.toList();
			s.note("writes started after the new instance was ready and acknowledged by the old one: "
					+ oldAckedAfterNewReady.size());
			softly.assertThat(oldAckedAfterNewReady.size())
				.as("writes the old instance acknowledged after the new one was ready (two writers), first: %s",
						oldAckedAfterNewReady.stream().limit(3).toList())
				.isZero();
			assertNoneLost(softly, s.lostAcknowledged(softly));
			s.assertLivenessNeverBroken(softly);
			finish(s, softly);
		}
	}

	/**
	 * A rolling update of a quiet service (issue #16): the old instance's lease is idle, renewed only every
	 * 20 s here, and the new one takes it at once instead of asking and waiting for that renewal; the old
	 * one's next write is refused; nothing acknowledged is lost, one generation.
	 */
	@Test
	@Timeout(value = 150, unit = TimeUnit.SECONDS)
	void rollingUpdateOfAQuietServiceTakesItsIdleLeaseAtOnce() throws Exception {
		// The lease goes idle after the idle database's checkpoint (here after 1 s) and 2 s more.
		String[] idle = { "litestream.lease.idle-after=2s", "litestream.lease.idle-ttl=60s",
				"litestream.checkpoint.interval=1s" };
		SoftAssertions softly = new SoftAssertions();
		try (DeployScenario s = new DeployScenario("rolling-update-idle")) {
			AppInstance old = s.startReady("old", START, idle);
			for (int i = 0; i < 20; i++) {
				softly.assertThat(s.write(old, "quiet-old-" + i).acknowledged()).as("old takes write %d", i).isTrue();
			}
			long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
			while (!s.replica.lease().contains("\"idle\":true") && System.nanoTime() < deadline) {
				Thread.sleep(100);
			}
			String idleLease = s.replica.lease();
			s.note("lease.json of the quiet old instance: " + idleLease);
			softly.assertThat(idleLease).as("the quiet old instance's lease is idle").contains("\"idle\":true");

			AppInstance neu = s.start("new", idle);
			boolean ready = neu.awaitReady(START);
			String leaseWhenReady = s.replica.lease();
			s.note("new ready: " + ready + ", lease.json then: " + leaseWhenReady);
			softly.assertThat(ready).as("new instance ready").isTrue();
			// (Its first renewal drops "handedOverFrom" from lease.json: the log says how it was taken.)
			softly.assertThat(leaseWhenReady).as("the new instance holds the lease").contains("\"pid\":" + neu.pid());
			String newLog = neu.tail(400);
			softly.assertThat(newLog).as("the new instance took the idle lease").contains("handed over to us");
			softly.assertThat(newLog).as("it did not have to ask and wait for a renewal").doesNotContain("asked owner");

			LoadClient.Attempt refused = s.write(old, "quiet-old-after-takeover");
			s.note("write to the old instance after the take-over: status " + refused.status() + ", " + refused.error());
			softly.assertThat(refused.acknowledged()).as("the old instance refuses writes once its idle lease was taken")
				.isFalse();
			for (int i = 0; i < 20; i++) {
				softly.assertThat(s.write(neu, "quiet-new-" + i).acknowledged()).as("new takes write %d", i).isTrue();
			}
			s.load.close();
			s.note("old stopped, exit code " + old.stop(STOP));
			s.note("new stopped, exit code " + neu.stop(STOP));
			assertNoneLost(softly, s.lostAcknowledged(softly));
			s.assertLivenessNeverBroken(softly);
			finish(s, softly);
		}
	}

	/**
	 * The old instance killed (SIGKILL) at each step of the hand-over: the new one takes over (after a TTL
	 * at most) and ends writable; only what the old one acknowledged within its last shipping window
	 * before it stopped may be missing; one generation.
	 */
	@ParameterizedTest(name = "{0}")
	@EnumSource(KillPoints.OldKilled.class)
	@Timeout(value = 150, unit = TimeUnit.SECONDS)
	void oldInstanceKilledDuringHandOverLosesOnlyUnshipped(KillPoints.OldKilled step) throws Exception {
		SoftAssertions softly = new SoftAssertions();
		try (DeployScenario s = new DeployScenario("old-killed-" + step.name().toLowerCase(Locale.ROOT))) {
			AppInstance old = s.startReady("old", START);
			s.load.target(old);
			softly.assertThat(s.load.awaitAcknowledged(50, Duration.ofSeconds(20))).as("old takes writes").isTrue();
			if (step == KillPoints.OldKilled.DRAINING) {
				// A write transaction always open: the drain lasts long enough for the probes to see it.
				old.startWriteHolds(KillPoints.HOLD, Duration.ofSeconds(90));
			}

			AppInstance neu = s.start("new");
			KillPoints.Kill kill = KillPoints.killOld(s, step, old, neu);
			s.note("old killed (SIGSTOP, then SIGKILL) " + step + ": reached " + kill.reached() + "; " + kill.how());
			softly.assertThat(kill.reached()).as("the kill point '%s' was reached: %s", step, kill.how()).isTrue();
			long killedAt = kill.frozenAt();
			s.load.target(neu);

			boolean writable = s.load.awaitAcknowledged(20, START.plus(HAND_OVER));
			s.load.close();
			softly.assertThat(writable).as("the survivor (new) takes writes after the hand-over or the lease expired")
				.isTrue();
			softly.assertThat(s.awaitWritable(neu, Duration.ofSeconds(10))).as("the survivor ends writable").isTrue();
			s.note("new stopping (SIGTERM)");
			s.note("new stopped, exit code " + neu.stop(STOP));

			// Only what was never shipped may be lost: the old instance's last commits before the kill.
			long shippingWindow = 1_000;
			Set<String> unshippable = s.load.acknowledged()
				.stream()
				.filter((a) -> a.instance().equals("old") && a.endedAt() >= killedAt - shippingWindow)
				.map(LoadClient.Attempt::token)
				.collect(Collectors.toSet());
			Set<String> lost = s.lostAcknowledged(softly);
			s.note("lost: " + lost.size() + ", of which acknowledged by old within " + shippingWindow
					+ " ms before the kill: " + lost.stream().filter(unshippable::contains).count());
			assertNoneLost(softly, lost.stream().filter((t) -> !unshippable.contains(t)).toList());
			s.assertLivenessNeverBroken(softly);
			finish(s, softly);
		}
	}

	/**
	 * The new instance killed (SIGKILL) at each step of the hand-over: the old one, which may have handed
	 * the lease over to it, takes it back after a TTL unchanged (the replica still ends where it left it)
	 * and ends writable; nothing acknowledged is lost; one generation.
	 */
	@ParameterizedTest(name = "{0}")
	@EnumSource(KillPoints.NewKilled.class)
	@Timeout(value = 150, unit = TimeUnit.SECONDS)
	void newInstanceKilledDuringHandOverLeavesASurvivor(KillPoints.NewKilled step) throws Exception {
		SoftAssertions softly = new SoftAssertions();
		try (DeployScenario s = new DeployScenario("new-killed-" + step.name().toLowerCase(Locale.ROOT))) {
			AppInstance old = s.startReady("old", START);
			s.load.target(old);
			softly.assertThat(s.load.awaitAcknowledged(50, Duration.ofSeconds(20))).as("old takes writes").isTrue();
			if (step == KillPoints.NewKilled.REQUESTED) {
				// A write transaction always open: the old instance cannot transfer the lease before the
				// test has seen the request and frozen the new instance.
				old.startWriteHolds(KillPoints.HOLD, Duration.ofSeconds(90));
			}

			String oldOwner = KillPoints.owner(s.replica.lease());
			AppInstance neu = s.start("new");
			KillPoints.Kill kill = KillPoints.killNew(s, step, neu);
			s.note("new killed (SIGSTOP, then SIGKILL) " + step + ": reached " + kill.reached() + "; " + kill.how());
			softly.assertThat(kill.reached()).as("the kill point '%s' was reached: %s", step, kill.how()).isTrue();
			// The old instance hands over to the dead one (if it had not yet), then takes the lease back.
			String notTakenBack = KillPoints.awaitTakenBack(s, oldOwner);
			s.note("old took the lease back: " + ((notTakenBack == null) ? "yes" : notTakenBack));
			softly.assertThat(notTakenBack).as("the old instance handed over and took the lease back").isNull();

			// The load balancer has only the old instance left.
			boolean writable = s.load.awaitAcknowledged(20, Duration.ofSeconds(30));
			s.load.close();
			softly.assertThat(writable).as("the survivor (old) takes writes again after the lease expired").isTrue();
			softly.assertThat(s.awaitWritable(old, Duration.ofSeconds(10))).as("the survivor ends writable").isTrue();
			s.note("old stopping (SIGTERM)");
			s.note("old stopped, exit code " + old.stop(STOP));

			assertNoneLost(softly, s.lostAcknowledged(softly));
			s.assertLivenessNeverBroken(softly);
			finish(s, softly);
		}
	}

	private static void assertNoneLost(SoftAssertions softly, Collection<String> lost) {
		softly.assertThat(lost.size())
			.as("acknowledged tokens missing from the latest restore (ours or litestream's), first: %s",
					lost.stream().limit(10).toList())
			.isZero();
	}

	private static void finish(DeployScenario s, SoftAssertions softly) throws Exception {
		String report = s.report();
		System.out.println(report);
		if (!softly.errorsCollected().isEmpty()) {
			// The figures and the logs belong in the failure, not only in the console.
			throw new AssertionError(softly.errorsCollected().size() + " failed expectations:\n"
					+ softly.errorsCollected().stream().map(Throwable::getMessage).collect(Collectors.joining("\n"))
					+ "\n\n--- report ---\n" + report + "\n" + s.logs());
		}
	}

}
