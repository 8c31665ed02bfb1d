package io.github.litestreamspring.engine.lease;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


/** The write gate with real threads: pause, open, close, timeouts, draining, counts. */
class WriteGateTests {

	private final WriteGate gate = new WriteGate("/data/app.db");

	private final ExecutorService writers = Executors.newCachedThreadPool();

	@AfterEach
	void stopWriters() throws InterruptedException {
		this.writers.shutdownNow();
		assertThat(this.writers.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
	}

	@Test
	void openGateAdmitsAndCountsTransactions() {
		this.gate.enter();
		this.gate.enter();
		assertThat(this.gate.inFlight()).isEqualTo(2);
		this.gate.exit();
		this.gate.exit();
		assertThat(this.gate.inFlight()).isZero();
		assertThat(this.gate.state()).isEqualTo(WriteGate.State.OPEN);
		assertThat(this.gate.reason()).isNull();
	}

	@Test
	void aSleepingGateRunsTheWakerOnceBeforeTheNextWritersWhoWaitForIt() throws Exception {
		java.util.concurrent.CountDownLatch wakerStarted = new java.util.concurrent.CountDownLatch(1);
		java.util.concurrent.CountDownLatch wakerMayEnd = new java.util.concurrent.CountDownLatch(1);
		java.util.concurrent.atomic.AtomicInteger wakerRuns = new java.util.concurrent.atomic.AtomicInteger();
		assertThat(this.gate.sleep(() -> {
			wakerRuns.incrementAndGet();
			wakerStarted.countDown();
			try {
				wakerMayEnd.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		})).isTrue();
		assertThat(this.gate.asleep()).isTrue();
		Future<?> first = this.writers.submit(() -> this.gate.enter());
		assertThat(wakerStarted.await(5, TimeUnit.SECONDS)).isTrue();
		Future<?> second = this.writers.submit(() -> this.gate.enter());
		assertBlocked(first);
		assertBlocked(second);
		wakerMayEnd.countDown();
		first.get(5, TimeUnit.SECONDS);
		second.get(5, TimeUnit.SECONDS);
		assertThat(wakerRuns.get()).isEqualTo(1);
		assertThat(this.gate.asleep()).isFalse();
		assertThat(this.gate.inFlight()).isEqualTo(2);
		this.gate.enter();
		assertThat(wakerRuns.get()).isEqualTo(1);
	}

	@Test
	void aWakerThatClosesTheGateRefusesTheWriteThatWokeIt() {
		assertThat(this.gate.sleep(() -> this.gate.close("lease taken by instance b while idle"))).isTrue();
		assertThatThrownBy(this.gate::enter).isInstanceOf(WriteRefusedException.class)
			.hasMessageContaining("lease taken by instance b while idle");
		assertThat(this.gate.inFlight()).isZero();
	}

	@Test
	void aWakerThatFailsStillAdmitsTheWrite() {
		assertThat(this.gate.sleep(() -> {
			throw new IllegalStateException("the lease store is unreachable");
		})).isTrue();
		this.gate.enter();
		assertThat(this.gate.inFlight()).isEqualTo(1);
		assertThat(this.gate.asleep()).isFalse();
	}

	@Test
	void aGateSleepsOnlyWhenOpenAndNoTransactionIsInFlight() {
		this.gate.enter();
		assertThat(this.gate.sleep(() -> {
		})).isFalse();
		this.gate.exit();
		this.gate.pause("a hand-over");
		assertThat(this.gate.sleep(() -> {
		})).isFalse();
		this.gate.open();
		assertThat(this.gate.sleep(() -> {
		})).isTrue();
		this.gate.awake();
		assertThat(this.gate.asleep()).isFalse();
	}

	@Test
	void countNeverGoesBelowZero() {
		this.gate.exit();
		this.gate.exit();
		assertThat(this.gate.inFlight()).isZero();
		this.gate.enter();
		assertThat(this.gate.inFlight()).isEqualTo(1);
	}

	@Test
	void blockedWriterResumesWhenTheGateOpens() throws Exception {
		this.gate.pause("a lease hand-over");
		Future<?> writer = this.writers.submit(() -> this.gate.enter());
		assertBlocked(writer);
		this.gate.open();
		writer.get(5, TimeUnit.SECONDS);
		assertThat(this.gate.inFlight()).isEqualTo(1);
	}

	@Test
	void blockedWriterFailsForGoodWhenTheGateCloses() throws Exception {
		this.gate.pause("a lease hand-over");
		Future<?> writer = this.writers.submit(() -> this.gate.enter());
		assertBlocked(writer);
		this.gate.close("this instance handed the database over to owner pod-b; it accepts reads only until it stops");
		assertThatThrownBy(() -> writer.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
			.cause()
			.isInstanceOf(WriteRefusedException.class)
			.hasMessage("writes to /data/app.db are refused: this instance handed the database over to owner pod-b;"
					+ " it accepts reads only until it stops")
			.satisfies((ex) -> assertThat(((WriteRefusedException) ex).isTransient()).isFalse());
		assertThat(this.gate.inFlight()).isZero();
	}

	@Test
	void blockedWriterFailsTransientlyAfterThePauseTimeout() {
		this.gate.setPauseTimeout(Duration.ofMillis(300));
		this.gate.pause("a lease hand-over");
		long started = System.nanoTime();
		assertThatThrownBy(this.gate::enter).isInstanceOf(WriteRefusedException.class)
			.hasMessage("writes to /data/app.db paused for a lease hand-over longer than PT0.3S")
			.satisfies((ex) -> assertThat(((WriteRefusedException) ex).isTransient()).isTrue());
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(290),
				Duration.ofSeconds(5));
		assertThat(this.gate.inFlight()).isZero();
	}

	@Test
	void closedGateFailsAtOnceAndReopens() {
		this.gate.setPauseTimeout(Duration.ofSeconds(30));
		this.gate.close("handed over");
		long started = System.nanoTime();
		assertThatThrownBy(this.gate::enter).isInstanceOf(WriteRefusedException.class).hasMessageContaining("handed over");
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(1));
		this.gate.open();
		this.gate.enter();
		assertThat(this.gate.inFlight()).isEqualTo(1);
	}

	@Test
	void awaitDrainedWaitsForTheTransactionInFlight() throws Exception {
		this.gate.enter();
		this.gate.pause("a lease hand-over");
		assertThat(this.gate.awaitDrained(Duration.ofMillis(100))).isFalse();
		Future<Boolean> drained = this.writers.submit(() -> this.gate.awaitDrained(Duration.ofSeconds(10)));
		assertBlocked(drained);
		this.gate.exit();
		assertThat(drained.get(5, TimeUnit.SECONDS)).isTrue();
		assertThat(this.gate.awaitDrained(Duration.ZERO)).isTrue();
	}

	@Test
	void listenersHearEveryChange() {
		List<WriteGate.State> heard = new CopyOnWriteArrayList<>();
		this.gate.addListener(heard::add);
		this.gate.pause("hand-over");
		this.gate.pause("hand-over");
		this.gate.close("handed over");
		this.gate.open();
		assertThat(heard).containsExactly(WriteGate.State.PAUSED, WriteGate.State.CLOSED, WriteGate.State.OPEN);
	}

	@Test
	void manyWritersAgainstPauseAndOpenLeaveNoCount() throws Exception {
		this.gate.setPauseTimeout(Duration.ofSeconds(5));
		List<Future<?>> futures = new CopyOnWriteArrayList<>();
		for (int w = 0; w < 4; w++) {
			futures.add(this.writers.submit(() -> {
				for (int i = 0; i < 2_000; i++) {
					this.gate.enter();
					this.gate.exit();
				}
			}));
		}
		for (int i = 0; i < 50; i++) {
			this.gate.pause("round " + i);
			assertThat(this.gate.awaitDrained(Duration.ofSeconds(5))).isTrue();
			assertThat(this.gate.inFlight()).isZero();
			this.gate.open();
		}
		for (Future<?> f : futures) {
			f.get(30, TimeUnit.SECONDS);
		}
		assertThat(this.gate.inFlight()).isZero();
	}

	private static void assertBlocked(Future<?> future) throws Exception {
		assertThatThrownBy(() -> future.get(200, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
	}

}
