package io.github.litestreamspring.engine.testsupport;

import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;

/**
 * A child-process application for crash tests: replicates {@code db} to a file replica and appends
 * rows {@code seq(n)} one transaction each, continuing from {@code MAX(n) + 1}, until it is killed or
 * its time runs out.
 * <p>
 * Protocol on standard output (each line flushed):
 * <ul>
 * <li>{@code STARTED <first n>} once replication runs;</li>
 * <li>{@code SHIPPED <n>} after {@code syncNow()} returned: every row up to {@code n} was committed
 * before the call, so the replica holds it;</li>
 * <li>{@code ERROR <exception>} when the application or the engine failed (then exit code 2);</li>
 * <li>{@code DONE <last n>} after a clean stop (mode {@code clean} only).</li>
 * </ul>
 * Arguments: {@code db replicaDir maxMillis [clean] [retention=MS check=MS snapshot=MS]}: {@code clean}
 * stops cleanly when the time is up; the others run retention (how long to keep, how often to
 * enforce it, how often to snapshot) alongside the writes.
 */
public final class CrashingWriter {

	/** Rows between two {@code syncNow()} calls. */
	public static final int SYNC_EVERY = 20;

	/** Upper bound on rows per run, in addition to the time limit. */
	private static final int MAX_ROWS = 1_000_000;

	private CrashingWriter() {
	}

	public static void main(String[] args) {
		PrintStream out = System.out;
		Path db = Path.of(args[0]);
		Path replicaDir = Path.of(args[1]);
		long maxNanos = Duration.ofMillis(Long.parseLong(args[2])).toNanos();
		List<String> flags = List.of(args).subList(3, args.length);
		boolean clean = flags.contains("clean");
		ReplicaOptions replicaOptions = replicaOptions(flags);
		try (Connection c = TestDatabase.open(db)) {
			try (Statement st = c.createStatement()) {
				st.execute("CREATE TABLE IF NOT EXISTS seq (n INTEGER PRIMARY KEY)");
			}
			Replicator replicator = replicator(db, replicaDir, replicaOptions);
			replicator.start();
			long next = max(c) + 1;
			out.println("STARTED " + next);
			out.flush();
			long deadline = System.nanoTime() + maxNanos;
			try (PreparedStatement insert = c.prepareStatement("INSERT INTO seq (n) VALUES (?)")) {
				for (int i = 0; i < MAX_ROWS && System.nanoTime() < deadline; i++) {
					// Auto-commit: one transaction per row.
					insert.setLong(1, next);
					insert.executeUpdate();
					replicator.notifyChange();
					long committed = next++;
					if (committed % SYNC_EVERY == 0) {
						replicator.syncNow();
						out.println("SHIPPED " + committed);
						out.flush();
					}
				}
			}
			if (clean) {
				replicator.syncNow();
				out.println("SHIPPED " + (next - 1));
				// As the Spring layer stops: replication first, then the application's connections, then
				// the engine's, which close last (a clean stop the next start continues from).
				replicator.stopReplicating(Duration.ofSeconds(30));
				c.close();
				replicator.closeDatabase();
				out.println("DONE " + (next - 1));
				out.flush();
			}
		}
		catch (Throwable ex) {
			out.println("ERROR " + ex);
			out.flush();
			ex.printStackTrace();
			System.exit(2);
		}
		System.exit(0);
	}

	/** Small intervals and thresholds, so that checkpoints and WAL restarts happen every second. */
	static Replicator replicator(Path db, Path replicaDir, ReplicaOptions replicaOptions) {
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(25), Duration.ofMinutes(1))
			.withCheckpointPageCounts(50, 200, 0);
		Replica replica = new Replica(replicaOptions, new FileReplicaClient(replicaDir));
		return new Replicator(options, List.of(replica));
	}

	/** A 25 ms sync interval; retention as given by {@code retention=}, {@code check=}, {@code snapshot=}. */
	static ReplicaOptions replicaOptions(List<String> flags) {
		ReplicaOptions defaults = ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(25));
		return new ReplicaOptions(defaults.name(), defaults.syncInterval(),
				millis(flags, "snapshot=", defaults.snapshotInterval()), millis(flags, "retention=", defaults.retention()),
				millis(flags, "check=", defaults.retentionCheckInterval()), defaults.maxSegmentBytes());
	}

	private static Duration millis(List<String> flags, String prefix, Duration otherwise) {
		return flags.stream()
			.filter((f) -> f.startsWith(prefix))
			.map((f) -> Duration.ofMillis(Long.parseLong(f.substring(prefix.length()))))
			.findFirst()
			.orElse(otherwise);
	}

	private static long max(Connection c) throws Exception {
		try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(n), 0) FROM seq")) {
			rs.next();
			return rs.getLong(1);
		}
	}

}
