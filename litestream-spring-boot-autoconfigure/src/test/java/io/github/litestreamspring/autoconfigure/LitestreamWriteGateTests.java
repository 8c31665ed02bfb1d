package io.github.litestreamspring.autoconfigure;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLNonTransientException;
import java.sql.SQLTransientException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;

import io.github.litestreamspring.engine.lease.WriteGate;
import io.github.litestreamspring.engine.lease.WriteRefusedException;
import io.github.litestreamspring.lifecycle.LitestreamReplication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The write gate through the pool's connections and readiness, on a real SQLite file and a file replica,
 * driving the gate directly as a lease hand-over will.
 */
class LitestreamWriteGateTests {

	private static final String HANDED_OVER = "this instance handed the database over to owner pod-b;"
			+ " it accepts reads only until it stops";

	@TempDir
	Path dir;

	private final ExecutorService writers = Executors.newCachedThreadPool();

	@AfterEach
	void stopWriters() throws InterruptedException {
		this.writers.shutdownNow();
		assertThat(this.writers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
	}

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					ApplicationAvailabilityAutoConfiguration.class, LitestreamAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica"),
					"litestream.replicas[0].sync-interval=50ms", "litestream.monitor-interval=50ms");
	}

	@Test
	void closedGateRefusesWritesNamingTheCauseServesReadsAndWithdrawsReadiness() {
		runner().run((context) -> {
			JdbcTemplate jdbc = jdbc(context);
			declareReady(context);
			WriteGate gate = gate(context);
			gate.close(HANDED_OVER);
			assertThatThrownBy(() -> jdbc.update("INSERT INTO notes (body) VALUES ('refused')"))
				.isInstanceOf(DataAccessException.class)
				.cause()
				.isInstanceOf(SQLNonTransientException.class)
				.hasMessageContaining(this.dir.resolve("app.db").toString())
				.hasMessageContaining(HANDED_OVER)
				.hasMessageContaining("send writes to the instance that holds the database's lease")
				.hasCauseInstanceOf(WriteRefusedException.class);
			assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM notes", Integer.class)).isEqualTo(1);
			ApplicationAvailability availability = context.getBean(ApplicationAvailability.class);
			assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
			gate.open();
			jdbc.update("INSERT INTO notes (body) VALUES ('admitted')");
			assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM notes", Integer.class)).isEqualTo(2);
			assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
			assertThat(availability.getLastChangeEvent(LivenessState.class)).as("liveness never published").isNull();
			assertThat(gate.inFlight()).isZero();
		});
	}

	@Test
	void readinessStaysRefusingWhenTheApplicationBecomesReadyWhileAGateIsClosed() {
		runner().run((context) -> {
			WriteGate gate = gate(context);
			ApplicationAvailability availability = context.getBean(ApplicationAvailability.class);
			gate.pause("a lease hand-over");
			gate.open();
			// Not ready yet: reopening the gate declares nothing.
			assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
			gate.close(HANDED_OVER);
			declareReady(context);
			assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
			gate.open();
			assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
		});
	}

	@Test
	void pausedGateHoldsAWriterUntilItOpens() {
		runner().run((context) -> {
			JdbcTemplate jdbc = jdbc(context);
			WriteGate gate = gate(context);
			gate.pause("a lease hand-over");
			assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM notes", Integer.class)).isEqualTo(1);
			Future<Integer> writer = this.writers.submit(() -> jdbc.update("INSERT INTO notes (body) VALUES ('w')"));
			assertThatThrownBy(() -> writer.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
			gate.open();
			assertThat(writer.get(10, TimeUnit.SECONDS)).isEqualTo(1);
			assertThat(gate.inFlight()).isZero();
		});
	}

	@Test
	void pausedGateFailsAWriterTransientlyAfterTheHandoverWriteTimeout() {
		runner().withPropertyValues("litestream.lease.handover-write-timeout=400ms").run((context) -> {
			JdbcTemplate jdbc = jdbc(context);
			WriteGate gate = gate(context);
			assertThat(gate.pauseTimeout()).isEqualTo(Duration.ofMillis(400));
			gate.pause("a lease hand-over");
			long started = System.nanoTime();
			assertThatThrownBy(() -> jdbc.update("INSERT INTO notes (body) VALUES ('late')"))
				.cause()
				.isInstanceOf(SQLTransientException.class)
				.hasMessageContaining("paused for a lease hand-over longer than PT0.4S")
				.hasMessageContaining("retry the transaction");
			assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(390),
					Duration.ofSeconds(5));
			assertThat(gate.inFlight()).isZero();
		});
	}

	@Test
	void transactionInFlightHoldsAwaitDrainedUntilItCommits() {
		runner().run((context) -> {
			jdbc(context);
			WriteGate gate = gate(context);
			try (Connection c = context.getBean(DataSource.class).getConnection(); Statement st = c.createStatement()) {
				c.setAutoCommit(false);
				st.executeQuery("SELECT COUNT(*) FROM notes").close();
				assertThat(gate.inFlight()).as("a read does not enter the gate").isZero();
				st.executeUpdate("INSERT INTO notes (body) VALUES ('in flight')");
				st.executeUpdate("INSERT INTO notes (body) VALUES ('same transaction')");
				assertThat(gate.inFlight()).isEqualTo(1);
				gate.pause("a lease hand-over");
				Future<Boolean> drained = this.writers.submit(() -> gate.awaitDrained(Duration.ofSeconds(10)));
				assertThatThrownBy(() -> drained.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
				// The admitted transaction goes on while the gate is paused.
				st.executeUpdate("INSERT INTO notes (body) VALUES ('after the pause')");
				c.commit();
				assertThat(drained.get(10, TimeUnit.SECONDS)).isTrue();
			}
			gate.open();
			assertThat(jdbc(context).queryForObject("SELECT COUNT(*) FROM notes", Integer.class)).isEqualTo(4);
		});
	}

	@Test
	void everyWayATransactionEndsLeavesTheGate() {
		runner().run((context) -> {
			jdbc(context);
			WriteGate gate = gate(context);
			try (Connection c = context.getBean(DataSource.class).getConnection(); Statement st = c.createStatement()) {
				st.executeUpdate("INSERT INTO notes (body) VALUES ('auto-commit')");
				assertThat(gate.inFlight()).isZero();
				c.setAutoCommit(false);
				st.executeUpdate("INSERT INTO notes (body) VALUES ('rolled back')");
				c.rollback();
				assertThat(gate.inFlight()).isZero();
				st.executeUpdate("INSERT INTO notes (body) VALUES ('committed by setAutoCommit')");
				c.setAutoCommit(true);
				assertThat(gate.inFlight()).isZero();
				st.execute("BEGIN");
				st.executeUpdate("INSERT INTO notes (body) VALUES ('sql commit')");
				st.execute("COMMIT");
				assertThat(gate.inFlight()).isZero();
				c.setAutoCommit(false);
				st.executeUpdate("INSERT INTO notes (body) VALUES ('open at close')");
				assertThat(gate.inFlight()).isEqualTo(1);
			}
			// The pool rolled back and reset the connection it got back.
			assertThat(gate.inFlight()).isZero();
		});
	}

	@Test
	void unrecognisedWriteCannotSlipThroughAClosedGate() {
		runner().run((context) -> {
			jdbc(context);
			WriteGate gate = gate(context);
			gate.close(HANDED_OVER);
			try (Connection c = context.getBean(DataSource.class).getConnection(); Statement st = c.createStatement()) {
				assertThatThrownBy(() -> st.execute("PRAGMA user_version = 5"))
					.isInstanceOf(SQLNonTransientException.class);
				assertThatThrownBy(() -> c.prepareStatement("PRAGMA user_version(5)").execute())
					.isInstanceOf(SQLNonTransientException.class);
				st.execute("BEGIN");
				try (var rs = st.executeQuery("PRAGMA user_version")) {
					assertThat(rs.next()).isTrue();
					assertThat(rs.getInt(1)).isZero();
				}
				st.executeQuery("PRAGMA table_info(notes)").close();
				st.execute("COMMIT");
			}
			assertThat(gate.inFlight()).isZero();
		});
	}

	@Test
	void withoutTheLeaseConnectionsDoNotPassTheGate() {
		runner().withPropertyValues("litestream.lease.enabled=false").run((context) -> {
			JdbcTemplate jdbc = jdbc(context);
			gate(context).close("closed for this test");
			jdbc.update("INSERT INTO notes (body) VALUES ('unguarded')");
			assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM notes", Integer.class)).isEqualTo(2);
		});
	}

	private static JdbcTemplate jdbc(AssertableApplicationContext context) {
		JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
		jdbc.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)");
		if (jdbc.queryForObject("SELECT COUNT(*) FROM notes", Integer.class) == 0) {
			jdbc.update("INSERT INTO notes (body) VALUES ('first')");
		}
		return jdbc;
	}

	private static WriteGate gate(AssertableApplicationContext context) {
		return context.getBean(LitestreamReplication.class).replicator().writeGate();
	}

	/** What Spring Boot does at ApplicationReadyEvent. */
	private static void declareReady(AssertableApplicationContext context) {
		AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
	}

}
