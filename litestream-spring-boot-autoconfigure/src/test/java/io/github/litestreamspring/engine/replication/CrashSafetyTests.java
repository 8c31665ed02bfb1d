package io.github.litestreamspring.engine.replication;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.ChildJvm;
import io.github.litestreamspring.engine.testsupport.CrashingWriter;
import io.github.litestreamspring.engine.testsupport.SeqPrefix;
import io.github.litestreamspring.engine.testsupport.Soak;
import io.github.litestreamspring.interop.CommandResult;
import io.github.litestreamspring.interop.LitestreamCli;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application replicating with the engine is killed with SIGKILL at random moments and restarted
 * on the same database and replica. Whatever the moment, the replica must never get a hole: it
 * restores to a gap-free prefix of the rows, and that prefix holds every row the application was
 * told was shipped ({@code syncNow()} returned). A new generation after a crash is acceptable; after a
 * graceful stop (run between the kills) it is not: the next start continues the same generation.
 * <p>
 * The seed is fixed so a failure can be replayed; override it with {@code -Dcrash.seed=N}.
 */
class CrashSafetyTests {

	/** Kill rounds: 6, or {@code -Dsoak.rounds=N} for a soak run. */
	private static final int ROUNDS = Soak.rounds(6);

	private static final Duration STARTUP_LIMIT = Duration.ofSeconds(20);

	@TempDir
	Path dir;

	@Test
	void killedApplicationsNeverLeaveAHoleInTheReplica() throws Exception {
		long seed = Long.getLong("crash.seed", 0x5eed_2024L);
		System.out.println("CrashSafetyTests seed: " + seed + " (replay with -Dcrash.seed=" + seed + ")");
		Random random = new Random(seed);
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		long maxShipped = 0;
		int gracefulRestarts = 0;
		List<Long> shippedPerRound = new ArrayList<>();
		for (int round = 0; round < ROUNDS; round++) {
			if (round % 2 == 1) {
				// Graceful restarts between the kills: the second continues the first's generation.
				List<String> before = gracefulRun(db, replicaDir, "round-" + round + "-graceful-a");
				List<String> after = gracefulRun(db, replicaDir, "round-" + round + "-graceful-b");
				assertThat(after).as("generations after a graceful restart (round %d)", round).isEqualTo(before);
				gracefulRestarts += 2;
			}
			Path out = this.dir.resolve("round-" + round + ".out");
			Path err = this.dir.resolve("round-" + round + ".err");
			// The time limit only matters if the kill never comes.
			Process child = ChildJvm.start(CrashingWriter.class, this.dir, out, err, db.toString(),
					replicaDir.toString(), "30000");
			try {
				assertThat(ChildJvm.awaitLine(child, out, "STARTED ", STARTUP_LIMIT))
					.as("round %d started\n%s\n%s", round, ChildJvm.describe(out), ChildJvm.describe(err))
					.isTrue();
				long delay = 200 + random.nextInt(1301);
				Thread.sleep(delay);
				assertThat(child.isAlive()).as("round %d alive until the kill\n%s\n%s", round, ChildJvm.describe(out),
						ChildJvm.describe(err)).isTrue();
			}
			finally {
				// On Linux destroyForcibly() is SIGKILL: no shutdown hook, no final sync.
				child.destroyForcibly();
				assertThat(child.waitFor(10, TimeUnit.SECONDS)).as("killed child exited").isTrue();
			}
			List<String> lines = ChildJvm.lines(out);
			assertThat(lines).as("application or engine errors in round %d\n%s", round, ChildJvm.describe(err))
				.noneMatch(l -> l.startsWith("ERROR"));
			long shipped = lines.stream()
				.filter(l -> l.startsWith("SHIPPED "))
				.mapToLong(l -> Long.parseLong(l.substring(8).trim()))
				.max()
				.orElse(0);
			shippedPerRound.add(shipped);
			maxShipped = Math.max(maxShipped, shipped);
		}
		assertThat(gracefulRestarts).isGreaterThan(0);
		System.out.println("CrashSafetyTests shipped per round: " + shippedPerRound);
		assertThat(maxShipped).as("rows reported shipped before the kills").isGreaterThan(0);

		// What the replica holds right after the last kill, by both restorers.
		SeqPrefix ours = restoreWithOurRestorer(replicaDir, this.dir.resolve("restored.db"));
		assertThat(ours.max()).as("rows restored vs. shipped per round %s", shippedPerRound)
			.isGreaterThanOrEqualTo(maxShipped);
		SeqPrefix theirs = restoreWithLitestream(replicaDir, this.dir.resolve("by-litestream.db"));
		assertThat(theirs.max()).as("rows restored by Litestream vs. shipped per round %s", shippedPerRound)
			.isGreaterThanOrEqualTo(maxShipped);

		// Every generation left behind by the crashes is itself a gap-free prefix.
		List<String> generations = generations(replicaDir);
		long walIndexes = walIndexes(replicaDir);
		System.out.println("CrashSafetyTests generations: " + generations.size() + ", WAL indexes: " + walIndexes);
		// Otherwise the kills never hit a checkpoint or a WAL restart, the risky moments.
		assertThat(walIndexes).as("WAL indexes across generations").isGreaterThan(generations.size());
		for (String generation : generations) {
			Path out = this.dir.resolve("gen-" + generation + ".db");
			new Restorer(new FileReplicaClient(replicaDir))
				.restore(new RestoreOptions(out, generation, -1, null, 0, false, false, false));
			SeqPrefix.assertGapFree(out, "generation " + generation);
		}

		// A clean run after the crashes resumes and ships everything, up to the last local row.
		Path out = this.dir.resolve("clean.out");
		Path err = this.dir.resolve("clean.err");
		Process child = ChildJvm.start(CrashingWriter.class, this.dir, out, err, db.toString(), replicaDir.toString(),
				"300", "clean");
		assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("clean run finished").isTrue();
		assertThat(child.exitValue()).as("clean run\n%s\n%s", ChildJvm.describe(out), ChildJvm.describe(err)).isZero();
		long localMax = SeqPrefix.localMax(db);
		SeqPrefix finalRestore = restoreWithOurRestorer(replicaDir, this.dir.resolve("restored-final.db"));
		assertThat(finalRestore.max()).as("restored after a clean stop").isEqualTo(localMax);
		SeqPrefix finalLitestream = restoreWithLitestream(replicaDir, this.dir.resolve("by-litestream-final.db"));
		assertThat(finalLitestream.max()).as("restored by Litestream after a clean stop").isEqualTo(localMax);
		Soak.report("CrashSafetyTests", "rounds=" + ROUNDS + " rowsWritten=" + localMax + " rowsShippedBeforeKills="
				+ maxShipped + " restores=" + (4 + generations.size()) + " generations=" + generations.size()
				+ " lost=0");
	}

	/**
	 * Runs the application for a short while and stops it cleanly; every row it committed is shipped.
	 * @return the generations in the replica afterwards
	 */
	private List<String> gracefulRun(Path db, Path replicaDir, String name) throws Exception {
		Path out = this.dir.resolve(name + ".out");
		Path err = this.dir.resolve(name + ".err");
		Process child = ChildJvm.start(CrashingWriter.class, this.dir, out, err, db.toString(), replicaDir.toString(),
				"400", "clean");
		assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("%s finished", name).isTrue();
		assertThat(child.exitValue()).as("%s\n%s\n%s", name, ChildJvm.describe(out), ChildJvm.describe(err)).isZero();
		assertThat(restoreWithOurRestorer(replicaDir, this.dir.resolve(name + ".db")).max()).as("%s shipped", name)
			.isEqualTo(SeqPrefix.localMax(db));
		return generations(replicaDir);
	}

	private SeqPrefix restoreWithOurRestorer(Path replicaDir, Path out) throws Exception {
		RestoreResult result = new Restorer(new FileReplicaClient(replicaDir)).restore(RestoreOptions.latest(out));
		assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
		return SeqPrefix.assertGapFree(out, "our restore");
	}

	private SeqPrefix restoreWithLitestream(Path replicaDir, Path out) throws Exception {
		CommandResult result = LitestreamCli.restore(out, "file://" + replicaDir, null);
		assertThat(result.exitCode()).as(result.describe()).isZero();
		return SeqPrefix.assertGapFree(out, "Litestream's restore");
	}

	private static List<String> generations(Path replicaDir) throws Exception {
		try (Stream<Path> gens = Files.list(replicaDir.resolve("generations"))) {
			return gens.map(p -> p.getFileName().toString()).sorted().toList();
		}
	}

	/** Distinct (generation, WAL index) pairs in the replica. */
	private static long walIndexes(Path replicaDir) throws Exception {
		try (Stream<Path> files = Files.walk(replicaDir.resolve("generations"))) {
			return files.filter(p -> p.getFileName().toString().endsWith(".wal.lz4"))
				.map(p -> replicaDir.relativize(p).getName(1) + "/" + p.getFileName().toString().substring(0, 8))
				.distinct()
				.count();
		}
	}

}
