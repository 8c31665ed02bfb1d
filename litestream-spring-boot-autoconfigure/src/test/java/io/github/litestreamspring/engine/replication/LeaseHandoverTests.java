package io.github.litestreamspring.engine.replication;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.restore.Continuation;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.engine.lease.LeaseOptions;
import io.github.litestreamspring.engine.lease.WriteGate;
import io.github.litestreamspring.engine.lease.WriteRefusedException;

import static org.assertj.core.api.Assertions.assertThat;
import io.github.litestreamspring.engine.LitestreamException;

/**
 * The lease hand-over between two instances of one replica path, in one JVM: the starting instance
 * restores without the lease, asks for it; the holder stops writes, ships everything, hands over with
 * its final position and refuses writes from then on; the new one catches up, continues the same
 * generation, and every commit either instance acknowledged is in the replica's latest restore.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LeaseHandoverTests {

	private static final Duration TTL = Duration.ofMillis(900);

	@TempDir
	Path dir;

	@Test
	void aStartingInstanceTakesTheLeaseFromALiveWriterWithoutLosingAnAcknowledgedCommit() throws Exception {
		Path replicaDir = this.dir.resolve("replica");
		Path dbA = this.dir.resolve("a/app.db");
		Path dbB = this.dir.resolve("b/app.db");
		java.nio.file.Files.createDirectories(dbA.getParent());
		java.nio.file.Files.createDirectories(dbB.getParent());
		ReplicaClient inspector = new FileReplicaClient(replicaDir);
		new TestDatabase(dbA).close();
		createTokens(dbA);
		Replicator a = replicator(dbA, new FileReplicaClient(replicaDir));
		Replicator b = replicator(dbB, new FileReplicaClient(replicaDir));
		List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
		List<String> refusals = Collections.synchronizedList(new ArrayList<>());
		AtomicBoolean writing = new AtomicBoolean(true);
		try {
			assertThat(a.acquireLeases(Duration.ofSeconds(10))).isNull();
			a.start();
			CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> write(a, dbA, "a", writing, acknowledged,
					refusals));
			awaitTrue(() -> acknowledged.size() >= 50, Duration.ofSeconds(10));
			a.syncNow();

			// The new instance restores while the old one keeps writing, then asks for the lease.
			RestoreResult restored = new Restorer(inspector).restore(RestoreOptions.latest(dbB));
			int beforeAsk = acknowledged.size();
			awaitTrue(() -> acknowledged.size() >= beforeAsk + 50, Duration.ofSeconds(10));
			Pos handedOver = b.acquireLeases(Duration.ofSeconds(20));

			assertThat(handedOver).isNotNull().isEqualTo(a.handedOverAt());
			assertThat(a.writeGate().state()).isEqualTo(WriteGate.State.CLOSED);
			assertThat(a.writeGate().reason()).contains("handed").contains("over to instance");
			awaitTrue(() -> !refusals.isEmpty(), Duration.ofSeconds(5));
			writing.set(false);
			writer.get(10, TimeUnit.SECONDS);
			assertThat(a.leaseState(a.replicas().get(0))).isEqualTo("handed_over");

			Pos continued = Continuation.continueAt(inspector, dbB, b.database().options().metaPath(),
					restored.position(), handedOver);
			assertThat(continued).isEqualTo(handedOver);
			b.start();
			assertThat(b.writeGate().state()).isEqualTo(WriteGate.State.OPEN);
			List<String> onB = new ArrayList<>();
			try (Connection c = TestDatabase.open(dbB)) {
				for (int i = 0; i < 20; i++) {
					insert(c, "b-" + i);
					onB.add("b-" + i);
				}
			}
			b.syncNow();
			// The old instance's stop ships nothing and writes nothing: it no longer holds the path.
			List<String> objectsBeforeStop = listing(inspector);
			a.stop();
			assertThat(listing(inspector)).isEqualTo(objectsBeforeStop);
			b.syncNow();

			assertThat(inspector.generations()).containsExactly(handedOver.generation());
			assertThat(inspector.snapshots(handedOver.generation())).hasSize(1);
			Path check = this.dir.resolve("check.db");
			new Restorer(inspector).restore(RestoreOptions.latest(check));
			List<String> tokens = tokens(check);
			assertThat(tokens).containsAll(acknowledged).containsAll(onB);
			assertThat(TestDatabase.integrityCheck(check)).isEqualTo("ok");
		}
		finally {
			writing.set(false);
			a.stop();
			b.stop();
			inspector.close();
		}
	}

	@Test
	void aHolderThatNeverAnswersIsNotHandedOverAndTheStartFailsNamingIt() throws Exception {
		Path replicaDir = this.dir.resolve("replica");
		Path dbA = this.dir.resolve("a/app.db");
		Path dbB = this.dir.resolve("b/app.db");
		java.nio.file.Files.createDirectories(dbA.getParent());
		java.nio.file.Files.createDirectories(dbB.getParent());
		new TestDatabase(dbA).close();
		createTokens(dbA);
		Replicator a = replicator(dbA, new FileReplicaClient(replicaDir));
		Replicator b = replicator(dbB, new FileReplicaClient(replicaDir));
		try {
			a.start();
			a.syncNow();
			// A's write transaction never ends: the hand-over cannot drain it, writes resume, B gives up.
			a.setHandoverDrainTimeout(Duration.ofMillis(300));
			a.writeGate().enter();
			long started = System.nanoTime();
			org.assertj.core.api.Assertions.assertThatExceptionOfType(LitestreamException.class)
				.isThrownBy(() -> b.acquireLeases(Duration.ofSeconds(3)))
				.withMessageContaining("was not ours within")
				.withMessageContaining("held by owner");
			assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
			// Each failed attempt resumes writes, and the next comes only after a back-off.
			awaitTrue(() -> a.writeGate().state() == WriteGate.State.OPEN, Duration.ofSeconds(5));
			assertThat(a.handedOverAt()).isNull();
			assertThat(a.leaseState(a.replicas().get(0))).isEqualTo("held");
			a.writeGate().exit();
		}
		finally {
			a.stop();
			b.stop();
		}
	}

	@Test
	void leasesTakenForAStartThatNeverCameAreReleasedWhenTheDatabaseCloses() throws Exception {
		Path replicaDir = this.dir.resolve("replica");
		Path db = this.dir.resolve("a/app.db");
		java.nio.file.Files.createDirectories(db.getParent());
		new TestDatabase(db).close();
		Replicator a = replicator(db, new FileReplicaClient(replicaDir));
		a.acquireLeases(Duration.ofSeconds(5));
		assertThat(java.nio.file.Files.readString(replicaDir.resolve("lease.json"))).contains("\"released\":false");
		// The application failed to start: no start(), but the context closes its beans.
		a.closeDatabase();
		assertThat(java.nio.file.Files.readString(replicaDir.resolve("lease.json"))).contains("\"released\":true");
		Replicator b = replicator(this.dir.resolve("b.db"), new FileReplicaClient(replicaDir));
		long started = System.nanoTime();
		assertThat(b.acquireLeases(Duration.ofSeconds(5))).isNull();
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(TTL);
		b.closeDatabase();
	}

	/**
	 * A kill during a long drain must lose no more than a kill at any other time: what was committed
	 * before the pause is shipped while the hand-over waits for a transaction in flight, not only once it
	 * ended (the replica's sync interval is long here, so only the hand-over ships).
	 */
	@Test
	void commitsMadeBeforeAHandOverAreShippedWhileItWaitsForATransactionInFlight() throws Exception {
		Path replicaDir = this.dir.resolve("replica");
		Path dbA = this.dir.resolve("a/app.db");
		Path dbB = this.dir.resolve("b/app.db");
		java.nio.file.Files.createDirectories(dbA.getParent());
		java.nio.file.Files.createDirectories(dbB.getParent());
		ReplicaClient inspector = new FileReplicaClient(replicaDir);
		new TestDatabase(dbA).close();
		createTokens(dbA);
		Replicator a = replicator(dbA, new FileReplicaClient(replicaDir), Duration.ofHours(1));
		Replicator b = replicator(dbB, new FileReplicaClient(replicaDir), Duration.ofHours(1));
		try {
			a.start();
			a.syncNow();
			a.setHandoverDrainTimeout(Duration.ofSeconds(20));
			try (Connection c = TestDatabase.open(dbA)) {
				insert(c, "before-the-request");
			}
			awaitTrue(() -> a.database().position().offset() > 0 && !replicaHas(inspector, "before-the-request"),
					Duration.ofSeconds(5));
			// A write transaction in flight for as long as the test wants: the drain waits for it.
			a.writeGate().enter();
			CompletableFuture<Pos> asked = CompletableFuture.supplyAsync(() -> b.acquireLeases(Duration.ofSeconds(30)));
			awaitTrue(() -> a.writeGate().state() == WriteGate.State.PAUSED, Duration.ofSeconds(10));

			awaitTrue(() -> replicaHas(inspector, "before-the-request"), Duration.ofSeconds(5));
			assertThat(a.writeGate().state()).as("still draining").isEqualTo(WriteGate.State.PAUSED);
			a.writeGate().exit();
			assertThat(asked.get(20, TimeUnit.SECONDS)).isNotNull().isEqualTo(a.handedOverAt());
		}
		finally {
			a.stop();
			b.stop();
			inspector.close();
		}
	}

	private int restores;

	private boolean replicaHas(ReplicaClient inspector, String token) {
		try {
			Path check = this.dir.resolve("has-" + (this.restores++) + ".db");
			new Restorer(inspector).restore(RestoreOptions.latest(check));
			return tokens(check).contains(token);
		}
		catch (Exception ex) {
			return false;
		}
	}

	static void write(Replicator replicator, Path db, String prefix, AtomicBoolean writing,
			List<String> acknowledged, List<String> refusals) {
		try (Connection c = TestDatabase.open(db)) {
			for (int i = 0; writing.get() && i < 100_000; i++) {
				String token = prefix + "-" + i;
				try {
					replicator.writeGate().enter();
				}
				catch (WriteRefusedException ex) {
					refusals.add(ex.getMessage());
					Thread.sleep(5);
					continue;
				}
				try {
					insert(c, token);
					acknowledged.add(token);
				}
				finally {
					replicator.writeGate().exit();
				}
				Thread.sleep(1);
			}
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	static void insert(Connection c, String token) throws Exception {
		try (PreparedStatement ps = c.prepareStatement("INSERT INTO tokens(token) VALUES (?)")) {
			ps.setString(1, token);
			ps.executeUpdate();
		}
	}

	static List<String> tokens(Path db) throws Exception {
		List<String> result = new ArrayList<>();
		try (Connection c = TestDatabase.open(db);
				java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT token FROM tokens")) {
			while (rs.next()) {
				result.add(rs.getString(1));
			}
		}
		return result;
	}

	static List<String> listing(ReplicaClient client) throws Exception {
		List<String> result = new ArrayList<>();
		for (String generation : client.generations()) {
			client.snapshots(generation).forEach((s) -> result.add("snapshot " + s.pos()));
			client.walSegments(generation).forEach((s) -> result.add("wal " + s.pos() + " " + s.size()));
		}
		return result;
	}

	static void createTokens(Path db) throws Exception {
		try (Connection c = TestDatabase.open(db)) {
			c.createStatement().execute("CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY)");
		}
	}

	private Replicator replicator(Path db, ReplicaClient client) throws Exception {
		return replicator(db, client, Duration.ofMillis(50));
	}

	private Replicator replicator(Path db, ReplicaClient client, Duration syncInterval) throws Exception {
		DatabaseOptions options = DatabaseOptions.defaults(db).withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1));
		Replica replica = new Replica(ReplicaOptions.defaults("r").withSyncInterval(syncInterval), client);
		Replicator replicator = new Replicator(options, List.of(replica));
		replicator.setLeaseOptions(LeaseOptions.enabled(TTL, LeaseOptions.OnConflict.WAIT));
		return replicator;
	}

	static void awaitTrue(java.util.function.BooleanSupplier condition, Duration timeout) throws Exception {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (!condition.getAsBoolean()) {
			if (System.nanoTime() > deadline) {
				throw new AssertionError("condition not met within " + timeout);
			}
			Thread.sleep(20);
		}
	}

}
