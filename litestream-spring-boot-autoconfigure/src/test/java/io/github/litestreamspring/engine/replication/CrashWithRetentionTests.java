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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Like {@link CrashSafetyTests}, but with retention deleting under the writer: a 2 s retention
 * checked every 300 ms and a snapshot every 500 ms, so old snapshots, WAL and generations go while
 * the application is killed with SIGKILL and restarted. Each restart must resume shipping, and the
 * replica must restore, after every kill, to a gap-free prefix holding every row reported shipped.
 * <p>
 * 4 rounds by default ({@code -Dsoak.rounds=N} for more); seed {@code -Dcrash.seed=N}.
 */
class CrashWithRetentionTests {

	private static final Duration STARTUP_LIMIT = Duration.ofSeconds(20);

	private static final String[] RETENTION = { "retention=2000", "check=300", "snapshot=500" };

	@TempDir
	Path dir;

	@Test
	void killsWhileRetentionRunsNeverLoseAShippedRow() throws Exception {
		long seed = Long.getLong("crash.seed", 0x5eed_2025L);
		int rounds = Soak.rounds(4);
		System.out.println("CrashWithRetentionTests seed: " + seed + ", rounds: " + rounds);
		Random random = new Random(seed);
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		long maxShipped = 0;
		long snapshotsWritten = 0;
		List<Long> shippedPerRound = new ArrayList<>();
		int restores = 0;
		for (int round = 0; round < rounds; round++) {
			Path out = this.dir.resolve("round-" + round + ".out");
			Path err = this.dir.resolve("round-" + round + ".err");
			List<String> args = new ArrayList<>(List.of(db.toString(), replicaDir.toString(), "30000"));
			args.addAll(List.of(RETENTION));
			Process child = ChildJvm.start(CrashingWriter.class, this.dir, out, err, args.toArray(String[]::new));
			try {
				assertThat(ChildJvm.awaitLine(child, out, "STARTED ", STARTUP_LIMIT))
					.as("round %d started\n%s\n%s", round, ChildJvm.describe(out), ChildJvm.describe(err))
					.isTrue();
				// Long enough for a few retention checks and snapshots per round, random enough to hit
				// them at different moments.
				Thread.sleep(700 + random.nextInt(1301));
				assertThat(child.isAlive()).as("round %d alive until the kill\n%s\n%s", round, ChildJvm.describe(out),
						ChildJvm.describe(err)).isTrue();
			}
			finally {
				// SIGKILL on Linux: no shutdown hook, no final sync.
				child.destroyForcibly();
				assertThat(child.waitFor(10, TimeUnit.SECONDS)).as("killed child exited").isTrue();
			}
			List<String> lines = ChildJvm.lines(out);
			assertThat(lines).as("application or engine errors in round %d\n%s", round, ChildJvm.describe(err))
				.noneMatch((l) -> l.startsWith("ERROR"));
			long started = lines.stream()
				.filter((l) -> l.startsWith("STARTED "))
				.mapToLong((l) -> Long.parseLong(l.substring(8).trim()))
				.findFirst()
				.orElseThrow();
			long shipped = lines.stream()
				.filter((l) -> l.startsWith("SHIPPED "))
				.mapToLong((l) -> Long.parseLong(l.substring(8).trim()))
				.max()
				.orElse(0);
			// Replication resumed after the previous kill: this round shipped rows of its own.
			assertThat(shipped).as("round %d shipped its own rows (started at %d)\n%s", round, started,
					ChildJvm.describe(err)).isGreaterThanOrEqualTo(started);
			shippedPerRound.add(shipped);
			maxShipped = Math.max(maxShipped, shipped);
			snapshotsWritten += Files.readAllLines(err).stream().filter((l) -> l.contains("snapshot written")).count();

			// Whatever retention deleted, the replica restores right after the kill.
			SeqPrefix prefix = restore(replicaDir, this.dir.resolve("restored-" + round + ".db"));
			restores++;
			assertThat(prefix.max()).as("round %d: rows restored vs. shipped %s", round, shippedPerRound)
				.isGreaterThanOrEqualTo(maxShipped);
		}
		long snapshotsKept = snapshots(replicaDir);
		System.out.println("CrashWithRetentionTests shipped per round: " + shippedPerRound + ", snapshots written: "
				+ snapshotsWritten + ", kept: " + snapshotsKept);
		// Otherwise retention never ran and the test proves nothing more than CrashSafetyTests.
		assertThat(snapshotsKept).as("snapshots kept of %d written", snapshotsWritten).isLessThan(snapshotsWritten);
		long localMax = SeqPrefix.localMax(db);
		Soak.report("CrashWithRetentionTests", "rounds=" + rounds + " rowsWritten=" + localMax + " rowsShipped="
				+ maxShipped + " restores=" + restores + " snapshotsWritten=" + snapshotsWritten + " snapshotsKept="
				+ snapshotsKept + " lost=0");
	}

	private static SeqPrefix restore(Path replicaDir, Path out) throws Exception {
		RestoreResult result = new Restorer(new FileReplicaClient(replicaDir)).restore(RestoreOptions.latest(out));
		assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
		return SeqPrefix.assertGapFree(out, out.toString());
	}

	/** Snapshot objects left in the replica, across generations. */
	private static long snapshots(Path replicaDir) throws Exception {
		try (Stream<Path> files = Files.walk(replicaDir.resolve("generations"))) {
			return files.filter((p) -> p.getFileName().toString().endsWith(".snapshot.lz4")).count();
		}
	}

}
