package io.github.litestreamspring.engine.testsupport;

import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Another process using the same database as a replicated application, as an operator's script or a
 * second service might: it writes rows to its own table with its own sqlite-jdbc connection (default
 * settings, so SQLite's auto-checkpoint is on) and, from a second connection, keeps asking for
 * {@code RESTART} and {@code TRUNCATE} checkpoints, the two modes that reset the WAL.
 * <p>
 * Arguments: {@code db millis}. Prints {@code WROTE <rows>}, {@code CHECKPOINTS <attempts> <completed>}
 * and exits 0, or prints {@code ERROR <exception>} and exits 2.
 */
public final class ForeignWriter {

	/** Upper bound on loop iterations, in addition to the time limit. */
	private static final int MAX_ITERATIONS = 200_000;

	private ForeignWriter() {
	}

	private static final int MIN_ROWS = 20;

	public static void main(String[] args) throws Exception {
		PrintStream out = System.out;
		Path db = Path.of(args[0]);
		long deadline = System.nanoTime() + Duration.ofMillis(Long.parseLong(args[1])).toNanos();
		AtomicLong attempts = new AtomicLong();
		AtomicLong completed = new AtomicLong();
		AtomicReference<Throwable> checkpointError = new AtomicReference<>();
		Thread checkpointer = new Thread(() -> {
			try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
					Statement st = c.createStatement()) {
				// A short wait: a RESTART or TRUNCATE that waits for readers blocks every writer meanwhile.
				st.execute("PRAGMA busy_timeout = 20");
				for (int i = 0; i < MAX_ITERATIONS && System.nanoTime() < deadline; i++) {
					String mode = (i % 2 == 0) ? "RESTART" : "TRUNCATE";
					try (ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
						rs.next();
						attempts.incrementAndGet();
						if (rs.getInt(1) == 0) {
							completed.incrementAndGet();
						}
					}
					// Writers get half of the time; see InterferenceTests.
					Thread.sleep(20);
				}
			}
			catch (Throwable ex) {
				checkpointError.set(ex);
			}
		}, "checkpointer");
		checkpointer.start();
		long rows = 0;
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
			try (Statement st = c.createStatement()) {
				st.execute("PRAGMA busy_timeout = 5000");
				st.execute("CREATE TABLE IF NOT EXISTS foreign_rows (id INTEGER PRIMARY KEY, payload TEXT)");
			}
			try (PreparedStatement insert = c.prepareStatement("INSERT INTO foreign_rows (payload) VALUES (?)")) {
				// At least MIN_ROWS even when a loaded machine spent the time budget on start-up and locks.
				for (int i = 0; i < MAX_ITERATIONS && (i < MIN_ROWS || System.nanoTime() < deadline); i++) {
					insert.setString(1, "foreign-" + i + "-" + "y".repeat(200 + (i % 7) * 300));
					insert.executeUpdate();
					rows++;
				}
			}
			checkpointer.join(10_000);
			if (checkpointError.get() != null) {
				throw checkpointError.get();
			}
			out.println("WROTE " + rows);
			out.println("CHECKPOINTS " + attempts.get() + " " + completed.get());
			out.flush();
		}
		catch (Throwable ex) {
			out.println("ERROR " + ex);
			out.flush();
			ex.printStackTrace();
			System.exit(2);
		}
		System.exit(0);
	}

}
