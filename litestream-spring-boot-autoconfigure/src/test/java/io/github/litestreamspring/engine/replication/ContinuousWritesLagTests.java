package io.github.litestreamspring.engine.replication;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.SlowReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lag and durability under a writer that never pauses while every upload takes 150 ms: the database
 * monitor moves the local position during each upload, so a replica is never exactly at the local
 * position after one. Lag must still be the age of the oldest commit the replica lacks (a few uploads),
 * and a durability wait must end once every replica holds the waiter's commits.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ContinuousWritesLagTests {

	private static final Duration UPLOAD = Duration.ofMillis(150);

	private static final Duration RUN = Duration.ofSeconds(5);

	@TempDir
	Path dir;

	@Test
	void lagStaysWithinAFewUploadsAndDurabilityWaitsEndWhileWritesNeverPause() throws Exception {
		Path db = this.dir.resolve("app.db");
		DatabaseOptions options = DatabaseOptions.defaults(db).withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1));
		List<Replica> replicas = List.of(slowReplica("a"), slowReplica("b"));
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = new Replicator(options, replicas)) {
			replicator.start();
			app.insertBatch(0, 10, 100);
			replicator.syncNow();

			AtomicBoolean writing = new AtomicBoolean(true);
			CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() -> write(app, replicator, writing));
			Duration maxLag = Duration.ZERO;
			List<Duration> durableWaits = new ArrayList<>();
			long deadline = System.nanoTime() + RUN.toNanos();
			// On a loaded machine a wait takes longer: the run goes on (up to 4 times RUN) until five waits
			// were measured, so the test judges each wait, not how many fit into RUN.
			long hardDeadline = System.nanoTime() + RUN.multipliedBy(4).toNanos();
			try {
				for (int i = 0; i < 1000 && (System.nanoTime() < deadline || durableWaits.size() < 5)
						&& System.nanoTime() < hardDeadline; i++) {
					Thread.sleep(50);
					for (ReplicationStatus.Replica r : replicator.status().replicas()) {
						maxLag = (r.lag().compareTo(maxLag) > 0) ? r.lag() : maxLag;
					}
					if (i % 10 == 5) {
						long started = System.nanoTime();
						Pos durable = replicator.awaitDurable(Duration.ofSeconds(3));
						durableWaits.add(Duration.ofNanos(System.nanoTime() - started));
						for (Replica replica : replicas) {
							assertThat(replica.position().generation()).isEqualTo(durable.generation());
							assertThat(replica.position().compareTo(durable)).as("replica %s holds %s", replica.name(),
									durable).isGreaterThanOrEqualTo(0);
						}
					}
				}
			}
			finally {
				writing.set(false);
			}
			assertThat(writer.get(10, TimeUnit.SECONDS)).as("commits made").isGreaterThan(100);
			assertThat(durableWaits).as("durability waits").hasSizeGreaterThanOrEqualTo(5)
				.allSatisfy((d) -> assertThat(d).isLessThan(Duration.ofSeconds(2)));
			// Two replicas upload one after the other: a commit waits for at most about four uploads.
			assertThat(maxLag).as("largest lag seen during %s of continuous writes", RUN)
				.isLessThan(Duration.ofMillis(1500));
			replicator.syncNow();
			assertThat(replicator.status().replicas()).allSatisfy((r) -> assertThat(r.lag()).isZero());
		}
	}

	private Replica slowReplica(String name) {
		return new Replica(ReplicaOptions.defaults(name).withSyncInterval(Duration.ZERO),
				new SlowReplicaClient(new FileReplicaClient(this.dir.resolve(name)), UPLOAD));
	}

	private static int write(TestDatabase app, Replicator replicator, AtomicBoolean writing) {
		int commits = 0;
		try {
			for (; commits < 100_000 && writing.get(); commits++) {
				app.insertOne(commits, 100);
				replicator.notifyChange();
				Thread.sleep(1);
			}
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
		return commits;
	}

}
