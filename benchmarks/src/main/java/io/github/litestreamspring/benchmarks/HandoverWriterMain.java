package io.github.litestreamspring.benchmarks;

import java.io.FileOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import io.github.litestreamspring.engine.lease.LeaseOptions;
import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.lease.WriteGate;
import io.github.litestreamspring.engine.lease.WriteRefusedException;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.restore.Continuation;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;

/**
 * One instance of a hand-over chain, in its own JVM: the engine's side of what the starter does at a
 * rolling deploy, without Spring. With {@code role=next} it restores the replica without the lease,
 * then (either role) takes the leases ({@link Replicator#acquireLeases}: a live holder is asked to hand
 * them over, a dead one is taken over after a TTL unchanged), continues the restored generation
 * ({@link Continuation#continueAt}, with the starter's fall-backs), starts replication and writes at an
 * open-loop {@code rate}, each transaction passing {@link Replicator#writeGate()} as the starter's pooled
 * connections do. It writes until the file {@code stop} appears (then stops replication gracefully) or
 * it is killed.
 * <p>
 * Every attempted transaction is appended, unbuffered (it survives a SIGKILL), to {@code commits}:
 * epoch nanoseconds when it ended, its sequence number, and its status ({@link #COMMITTED},
 * {@link #REFUSED}). Standard output carries {@code EVENT <name> <epochMillis> [detail]} lines.
 */
public final class HandoverWriterMain {

	static final byte COMMITTED = 1;

	static final byte REFUSED = 0;

	/** Records in the commit log: epoch nanos (8), sequence (8), status (1). */
	static final int RECORD_BYTES = 17;

	private HandoverWriterMain() {
	}

	public static void main(String[] args) throws Exception {
		Map<String, String> a = parse(args);
		Path db = Path.of(a.get("db"));
		Side side = Side.valueOf(a.get("side"));
		boolean next = a.get("role").equals("next");
		double rate = Double.parseDouble(a.get("rate"));
		long writer = Long.parseLong(a.get("writer"));
		Path stop = Path.of(a.get("stop"));
		boolean leases = Boolean.parseBoolean(a.getOrDefault("leases", "true"));
		S3ReplicaClient s3 = S3ReplicaClient.owning(S3Clients.client(URI.create(a.get("endpoint"))), a.get("bucket"),
				a.get("root"), S3ReplicaOptions.defaults());
		Replica replica = new Replica(side.replicaOptions(), s3);
		RestoreResult restored = null;
		if (next) {
			event("restore-start", "");
			restored = new Restorer(replica.client()).restore(RestoreOptions.latest(db));
			event("restored", String.valueOf(restored.position()));
		}
		long checkpointMillis = Long.parseLong(a.getOrDefault("checkpointMillis", "0"));
		DatabaseOptions options = DatabaseOptions.defaults(db);
		if (checkpointMillis > 0) {
			options = options.withIntervals(options.monitorInterval(), Duration.ofMillis(checkpointMillis));
		}
		Replicator replicator = new Replicator(options, List.of(replica));
		if (leases) {
			// Idle leases (idleAfterMillis > 0) are safe here: every write passes the write gate.
			long idleAfter = Long.parseLong(a.getOrDefault("idleAfterMillis", "0"));
			replicator.setLeaseOptions(LeaseOptions.enabled(Duration.ofMillis(Long.parseLong(a.get("ttlMillis"))),
					LeaseOptions.OnConflict.WAIT).withIdle((idleAfter > 0) ? Duration.ofMillis(idleAfter) : null,
							Duration.ofMillis(Long.parseLong(a.getOrDefault("idleTtlMillis", "300000")))));
		}
		replicator.writeGate().addListener((state) -> {
			if (state != WriteGate.State.OPEN) {
				event(state.name().toLowerCase(java.util.Locale.ROOT), "");
			}
		});
		event("acquire-start", "");
		Pos handedOver = replicator.acquireLeases(Duration.ofMinutes(2));
		event("acquired", String.valueOf(handedOver));
		if (restored != null) {
			event("continued", continueGeneration(replica, db, replicator, restored, handedOver));
		}
		try (Connection c = WriterMain.open(db);
				PreparedStatement insert = c.prepareStatement("INSERT INTO t (writer, seq, payload) VALUES (?, ?, ?)");
				FileOutputStream log = new FileOutputStream(a.get("commits"))) {
			replicator.start();
			event("started", "");
			openLoop(replicator, insert, writer, rate, stop, log);
		}
		finally {
			event("stopping", "");
			replicator.stop();
			event("stopped", "");
		}
		System.exit(0);
	}

	/** As the starter does: continue at the hand-over position, else restore again, else a new generation. */
	private static String continueGeneration(Replica replica, Path db, Replicator replicator, RestoreResult restored,
			Pos target) {
		Path metaDir = replicator.database().options().metaPath();
		try {
			return "same-generation " + Continuation.continueAt(replica.client(), db, metaDir, restored.position(), target);
		}
		catch (LitestreamException ex) {
			System.err.println("continuation refused, restoring again: " + ex.getMessage());
		}
		RestoreOptions again = new RestoreOptions(db, null, -1, null, RestoreOptions.DEFAULT_PARALLELISM, false, false,
				true);
		RestoreResult second = new Restorer(replica.client()).restore(again);
		try {
			return "same-generation-after-second-restore "
					+ Continuation.continueAt(replica.client(), db, metaDir, second.position(), null);
		}
		catch (LitestreamException ex) {
			System.err.println("continuation refused again, new generation: " + ex.getMessage());
			return "new-generation";
		}
	}

	/**
	 * Open loop: attempt {@code i} is due at {@code start + i/rate} whatever happened to the previous one;
	 * each attempt enters the write gate (blocking while it is paused, failing once it is closed), commits
	 * one row, exits the gate and signals the commit. Rate 0: no writes, just waits for {@code stop}.
	 */
	private static void openLoop(Replicator replicator, PreparedStatement insert, long writer, double rate, Path stop,
			FileOutputStream log) throws SQLException, IOException {
		WriteGate gate = replicator.writeGate();
		long start = System.nanoTime();
		long nextStopCheck = start;
		boolean first = true;
		for (long i = 0;; i++) {
			long due = (rate > 0) ? start + Math.round(i * 1e9 / rate) : System.nanoTime() + 20_000_000L;
			if (System.nanoTime() - nextStopCheck >= 0) {
				if (Files.exists(stop)) {
					return;
				}
				nextStopCheck = System.nanoTime() + 20_000_000L;
			}
			long wait = due - System.nanoTime();
			if (wait > 0) {
				LockSupport.parkNanos(wait);
			}
			if (rate <= 0) {
				continue;
			}
			byte status;
			try {
				gate.enter();
				try {
					insert.setLong(1, writer);
					insert.setLong(2, i);
					insert.setString(3, "h" + writer + "-" + i);
					insert.executeUpdate();
				}
				finally {
					gate.exit();
				}
				replicator.notifyChange();
				status = COMMITTED;
			}
			catch (WriteRefusedException ex) {
				status = REFUSED;
			}
			// One write per record: a SIGKILL can tear at most the record being written.
			log.write(java.nio.ByteBuffer.allocate(RECORD_BYTES).putLong(epochNanos()).putLong(i).put(status).array());
			if (first && status == COMMITTED) {
				first = false;
				event("first-commit", "");
			}
		}
	}

	static long epochNanos() {
		java.time.Instant now = java.time.Instant.now();
		return now.getEpochSecond() * 1_000_000_000L + now.getNano();
	}

	private static synchronized void event(String name, String detail) {
		System.out.println("EVENT " + name + " " + System.currentTimeMillis() + (detail.isEmpty() ? "" : " " + detail));
		System.out.flush();
	}

	private static Map<String, String> parse(String[] args) {
		Map<String, String> map = new HashMap<>();
		for (String arg : args) {
			int eq = arg.indexOf('=');
			map.put(arg.substring(0, eq), arg.substring(eq + 1));
		}
		return map;
	}

}
