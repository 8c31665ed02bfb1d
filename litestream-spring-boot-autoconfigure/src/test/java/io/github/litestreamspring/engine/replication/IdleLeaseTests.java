package io.github.litestreamspring.engine.replication;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.lease.LeaseOptions;
import io.github.litestreamspring.engine.lease.WriteGate;
import io.github.litestreamspring.engine.lease.WriteRefusedException;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.restore.Continuation;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static io.github.litestreamspring.engine.replication.LeaseHandoverTests.awaitTrue;
import static io.github.litestreamspring.engine.replication.LeaseHandoverTests.createTokens;
import static io.github.litestreamspring.engine.replication.LeaseHandoverTests.insert;
import static io.github.litestreamspring.engine.replication.LeaseHandoverTests.tokens;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Idle leases (issue #16, item 4): a holder whose database is quiet ships everything, writes its lease
 * as idle at that position and renews it rarely; its next write makes the lease active again; a starting
 * instance takes an idle lease at once, as if handed over at the idle position, and the holder's next
 * write is refused. Real SQLite files and a file replica, two replicators in one JVM.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IdleLeaseTests {

	private static final Duration TTL = Duration.ofMillis(900);

	private static final Duration IDLE_AFTER = Duration.ofMillis(300);

	private static final Pattern RENEWED_AT = Pattern.compile("\"renewedAt\":\"([^\"]+)\"");

	private static final Pattern POSITION = Pattern.compile("\"position\":\"([^\"]+)\"");

	@TempDir
	Path dir;

	@Test
	void aQuietHolderRenewsItsIdleLeaseRarelyAndItsNextWriteMakesItActiveAgain() throws Exception {
		Path replicaDir = this.dir.resolve("replica");
		Path db = database("a");
		Replicator a = replicator(db, new FileReplicaClient(replicaDir), Duration.ofSeconds(3));
		try (ReplicaClient inspector = new FileReplicaClient(replicaDir)) {
			a.start();
			writeThroughGate(a, db, "a", 20);
			a.syncNow();
			Path lease = replicaDir.resolve("lease.json");
			awaitIdle(lease);

			// Everything is in the replica, at the position the idle lease names.
			Pos idleAt = position(read(lease));
			assertThat(idleAt).isEqualTo(a.database().position()).isEqualTo(a.replicas().get(0).position());
			assertThat(a.writeGate().state()).isEqualTo(WriteGate.State.OPEN);
			assertThat(a.leaseState(a.replicas().get(0))).isEqualTo("held");
			assertThat(a.status().replicas().get(0).lastError()).isNull();

			// An active lease would be renewed every 300 ms (7 or more versions in 2.5 s); an idle one
			// with a 3 s idle TTL every second. The idle database's checkpoint came before: nothing wakes it.
			assertThat(renewalsDuring(lease, Duration.ofMillis(2_500))).isBetween(1, 4);
			assertThat(read(lease)).contains("\"idle\":true");
			assertThat(position(read(lease))).isEqualTo(idleAt).isEqualTo(a.database().position());

			// The next write makes the lease active again first, then ships as usual.
			writeThroughGate(a, db, "after-idle", 1);
			assertThat(read(lease)).doesNotContain("\"idle\"");
			a.syncNow();
			Path check = this.dir.resolve("check.db");
			new Restorer(inspector).restore(RestoreOptions.latest(check));
			assertThat(tokens(check)).contains("after-idle-0").hasSize(21);
			// And, quiet again, it becomes idle again.
			awaitIdle(lease);
		}
		finally {
			a.stop();
		}
	}

	@Test
	void aStartingInstanceTakesAnIdleLeaseAtOnceAndTheHoldersNextWriteIsRefused() throws Exception {
		Path replicaDir = this.dir.resolve("replica");
		Path dbA = database("a");
		Path dbB = Files.createDirectories(this.dir.resolve("b")).resolve("app.db");
		// Idle renewals every 10 s: a hand-over asked of the holder would wait for one; taking needs none.
		Replicator a = replicator(dbA, new FileReplicaClient(replicaDir), Duration.ofSeconds(30));
		Replicator b = replicator(dbB, new FileReplicaClient(replicaDir), Duration.ofSeconds(30));
		try (ReplicaClient inspector = new FileReplicaClient(replicaDir)) {
			a.start();
			List<String> acknowledged = writeThroughGate(a, dbA, "a", 30);
			Path lease = replicaDir.resolve("lease.json");
			awaitIdle(lease);
			Pos idleAt = position(read(lease));

			RestoreResult restored = new Restorer(inspector).restore(RestoreOptions.latest(dbB));
			long started = System.nanoTime();
			Pos handedOver = b.acquireLeases(Duration.ofSeconds(20));
			assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
			assertThat(handedOver).isEqualTo(idleAt);
			assertThat(read(lease)).contains("\"handedOverFrom\"").doesNotContain("\"idle\"");

			// The old holder finds out at its next write, which is refused, and writes no more.
			assertThatThrownBy(() -> a.writeGate().enter()).isInstanceOf(WriteRefusedException.class)
				.hasMessageContaining("lost to");
			assertThat(a.writeGate().state()).isEqualTo(WriteGate.State.CLOSED);
			assertThat(a.leaseState(a.replicas().get(0))).isEqualTo("lost");

			assertThat(Continuation.continueAt(inspector, dbB, b.database().options().metaPath(), restored.position(),
					handedOver)).isEqualTo(handedOver);
			b.start();
			List<String> onB = writeThroughGate(b, dbB, "b", 10);
			b.syncNow();
			List<String> objectsBeforeStop = LeaseHandoverTests.listing(inspector);
			a.stop();
			assertThat(LeaseHandoverTests.listing(inspector)).isEqualTo(objectsBeforeStop);

			assertThat(inspector.generations()).containsExactly(idleAt.generation());
			Path check = this.dir.resolve("check.db");
			new Restorer(inspector).restore(RestoreOptions.latest(check));
			assertThat(tokens(check)).containsAll(acknowledged).containsAll(onB);
			assertThat(TestDatabase.integrityCheck(check)).isEqualTo("ok");
		}
		finally {
			a.stop();
			b.stop();
		}
	}

	/**
	 * kill -9 while idle: the lease stays idle at a position the replica holds, and a new instance on an
	 * empty disk takes it at once (not after the idle TTL, nor the TTL) and continues the generation with
	 * every row the killed one had.
	 */
	@Test
	void aHolderKilledWhileIdleLeavesALeaseANewInstanceTakesAtOnce() throws Exception {
		Path replicaDir = this.dir.resolve("replica");
		Path dbA = database("a");
		List<String> rows = new ArrayList<>();
		try (Connection c = TestDatabase.open(dbA)) {
			for (int i = 0; i < 30; i++) {
				insert(c, "a-" + i);
				rows.add("a-" + i);
			}
		}
		Path stdout = this.dir.resolve("child.out");
		Process child = io.github.litestreamspring.engine.testsupport.ChildJvm.start(
				io.github.litestreamspring.engine.testsupport.ReplicatingChild.class, this.dir, stdout,
				this.dir.resolve("child.err"), dbA.toString(), replicaDir.toString(), "60000",
				Long.toString(TTL.toMillis()), Long.toString(IDLE_AFTER.toMillis()), "30000");
		try {
			assertThat(io.github.litestreamspring.engine.testsupport.ChildJvm.awaitLine(child, stdout, "STARTED",
					Duration.ofSeconds(30))).isTrue();
			Path lease = replicaDir.resolve("lease.json");
			awaitIdle(lease);
			Pos idleAt = position(read(lease));
			child.destroyForcibly();
			assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();

			Path dbB = Files.createDirectories(this.dir.resolve("b")).resolve("app.db");
			Replicator b = replicator(dbB, new FileReplicaClient(replicaDir), Duration.ofSeconds(30));
			try (ReplicaClient inspector = new FileReplicaClient(replicaDir)) {
				RestoreResult restored = new Restorer(inspector).restore(RestoreOptions.latest(dbB));
				long started = System.nanoTime();
				Pos handedOver = b.acquireLeases(Duration.ofSeconds(20));
				assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(TTL);
				assertThat(handedOver).isEqualTo(idleAt);
				assertThat(Continuation.continueAt(inspector, dbB, b.database().options().metaPath(),
						restored.position(), handedOver)).isEqualTo(handedOver);
				b.start();
				List<String> onB = writeThroughGate(b, dbB, "b", 5);
				b.syncNow();
				assertThat(inspector.generations()).containsExactly(idleAt.generation());
				Path check = this.dir.resolve("check.db");
				new Restorer(inspector).restore(RestoreOptions.latest(check));
				assertThat(tokens(check)).containsAll(rows).containsAll(onB);
			}
			finally {
				b.stop();
			}
		}
		finally {
			child.destroyForcibly();
		}
	}

	@Test
	void anUploadWhileIdleMakesTheLeaseActiveFirst() throws Exception {
		Path replicaDir = this.dir.resolve("replica");
		Path db = database("a");
		Replicator a = replicator(db, new FileReplicaClient(replicaDir), Duration.ofSeconds(3));
		try (ReplicaClient inspector = new FileReplicaClient(replicaDir)) {
			a.start();
			writeThroughGate(a, db, "a", 5);
			Path lease = replicaDir.resolve("lease.json");
			awaitIdle(lease);
			String generation = a.database().position().generation();
			int snapshotsBefore = inspector.snapshots(generation).size();
			a.snapshotNow();
			assertThat(inspector.snapshots(generation)).hasSize(snapshotsBefore + 1);
			assertThat(read(lease)).doesNotContain("\"idle\"");
			assertThat(a.leaseState(a.replicas().get(0))).isEqualTo("held");
		}
		finally {
			a.stop();
		}
	}

	@Test
	void anIdleHolderLearnsOfTheTakeOverAtItsNextRenewalWithoutAWrite() throws Exception {
		Path replicaDir = this.dir.resolve("replica");
		Path dbA = database("a");
		Path dbB = Files.createDirectories(this.dir.resolve("b")).resolve("app.db");
		Replicator a = replicator(dbA, new FileReplicaClient(replicaDir), Duration.ofSeconds(3));
		Replicator b = replicator(dbB, new FileReplicaClient(replicaDir), Duration.ofSeconds(3));
		try (ReplicaClient inspector = new FileReplicaClient(replicaDir)) {
			a.start();
			writeThroughGate(a, dbA, "a", 5);
			awaitIdle(replicaDir.resolve("lease.json"));
			new Restorer(inspector).restore(RestoreOptions.latest(dbB));
			assertThat(b.acquireLeases(Duration.ofSeconds(10))).isNotNull();
			// Idle renewals every second: the next one finds the lease gone and closes the gate.
			awaitTrue(() -> "lost".equals(a.leaseState(a.replicas().get(0))), Duration.ofSeconds(5));
			awaitTrue(() -> a.writeGate().state() == WriteGate.State.CLOSED, Duration.ofSeconds(5));
			assertThat(a.writeGate().reason()).contains("lost to");
		}
		finally {
			a.stop();
			b.stop();
		}
	}

	@Test
	void anInstanceThatDoesNotAskForAHandOverLeavesAnIdleLeaseToItsLiveHolder() throws Exception {
		Path replicaDir = this.dir.resolve("replica");
		Path dbA = database("a");
		Path dbB = database("b");
		Replicator a = replicator(dbA, new FileReplicaClient(replicaDir), Duration.ofSeconds(3));
		Replicator b = replicator(dbB, new FileReplicaClient(replicaDir), Duration.ofSeconds(3));
		try {
			a.start();
			writeThroughGate(a, dbA, "a", 5);
			Path lease = replicaDir.resolve("lease.json");
			awaitIdle(lease);
			// A running instance (start() without acquireLeases) takes over only a lease unchanged for
			// its TTL; the live holder renews its idle lease every second.
			b.start();
			Thread.sleep(4_000);
			assertThat(b.leaseState(b.replicas().get(0))).isEqualTo("waiting");
			assertThat(a.leaseState(a.replicas().get(0))).isEqualTo("held");
			writeThroughGate(a, dbA, "a-again", 1);
			assertThat(a.writeGate().state()).isEqualTo(WriteGate.State.OPEN);
		}
		finally {
			a.stop();
			b.stop();
		}
	}

	/** Waits until the holder has made the lease idle. */
	private static void awaitIdle(Path lease) throws Exception {
		awaitTrue(() -> read(lease).contains("\"idle\":true"), Duration.ofSeconds(10));
	}

	private Path database(String name) throws Exception {
		Path db = this.dir.resolve(name + "/app.db");
		Files.createDirectories(db.getParent());
		new TestDatabase(db).close();
		createTokens(db);
		return db;
	}

	private static List<String> writeThroughGate(Replicator replicator, Path db, String prefix, int count)
			throws Exception {
		List<String> written = new ArrayList<>();
		try (Connection c = TestDatabase.open(db)) {
			for (int i = 0; i < count; i++) {
				replicator.writeGate().enter();
				try {
					insert(c, prefix + "-" + i);
					written.add(prefix + "-" + i);
				}
				finally {
					replicator.writeGate().exit();
				}
			}
		}
		return written;
	}

	/** How many versions of the lease the holder wrote during {@code window} (its renewedAt changes). */
	private static int renewalsDuring(Path lease, Duration window) throws Exception {
		Set<String> seen = new HashSet<>();
		String first = renewedAt(read(lease));
		long end = System.nanoTime() + window.toNanos();
		while (System.nanoTime() < end) {
			String at = renewedAt(read(lease));
			if (at != null && !at.equals(first)) {
				seen.add(at);
			}
			Thread.sleep(20);
		}
		return seen.size();
	}

	private static String renewedAt(String lease) {
		Matcher m = RENEWED_AT.matcher(lease);
		return m.find() ? m.group(1) : null;
	}

	private static Pos position(String lease) {
		Matcher m = POSITION.matcher(lease);
		assertThat(m.find()).as("position in %s", lease).isTrue();
		String[] parts = m.group(1).split("/");
		return new Pos(parts[0], Long.parseLong(parts[1]), Long.parseLong(parts[2]));
	}

	private static String read(Path lease) {
		try {
			return Files.readString(lease);
		}
		catch (java.io.IOException ex) {
			return "";
		}
	}

	private Replicator replicator(Path db, ReplicaClient client, Duration idleTtl) {
		// The idle database's checkpoint after 1 s: the lease goes idle only once it has restarted the WAL.
		DatabaseOptions options = DatabaseOptions.defaults(db).withIntervals(Duration.ofMillis(50), Duration.ofSeconds(1));
		Replica replica = new Replica(ReplicaOptions.defaults("r").withSyncInterval(Duration.ofMillis(50)), client);
		Replicator replicator = new Replicator(options, List.of(replica));
		replicator.setLeaseOptions(LeaseOptions.enabled(TTL, LeaseOptions.OnConflict.WAIT).withIdle(IDLE_AFTER, idleTtl));
		return replicator;
	}

}
