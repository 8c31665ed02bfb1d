package io.github.litestreamspring.engine.verify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestorePlan;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.Replicator;

/**
 * Tests restores, automatically: restores every replica as of one position into a scratch file and
 * compares it with the live database at that same position.
 * <ol>
 * <li><b>Pin</b>, on the replication thread (nothing ships meanwhile): ship everything so that every
 * replica is at the local position P, wait for a commit in flight (take and drop the write lock: its
 * frames may already be in P while readers cannot see them yet), open a read transaction on a fresh
 * read-only connection, and ship again. If the position did not move, no commit landed between the two
 * syncs, so the read transaction sees exactly P. Otherwise try again (bounded): application writers
 * wait at most for that moment.</li>
 * <li><b>Checksum the live database</b> inside that read transaction, on the caller's thread, then end
 * it. Replication runs on meanwhile; the open read transaction only keeps checkpoints from restarting
 * the WAL (it pins the WAL) for as long as the checksum takes.</li>
 * <li><b>Restore</b> each replica up to P ({@link RestoreOptions#upTo(Pos)}) into a scratch directory
 * (the restore runs {@code PRAGMA integrity_check}); its duration is the measured RTO.</li>
 * <li><b>Compare</b> table checksums ({@link TableChecksums}); name the tables that differ.</li>
 * </ol>
 * A snapshot taken at P's index after the pin replaces the one the restore needs with later pages; the
 * verifier notices (the snapshot's time changed) and starts over once rather than report a false
 * mismatch. One verification runs at a time; callers arriving meanwhile wait for their own.
 */
public final class RestoreVerifier {

	private static final Logger logger = LoggerFactory.getLogger(RestoreVerifier.class);

	/** Pin attempts before giving up on a database that changes between every two syncs. */
	static final int MAX_PIN_ATTEMPTS = 20;

	private final Replicator replicator;

	private final Path scratchDirectory;

	private final ReentrantLock lock = new ReentrantLock();

	private final List<Consumer<VerificationResult>> listeners = new CopyOnWriteArrayList<>();

	private volatile VerificationResult last;

	/**
	 * @param scratchDirectory where restores are written (a fresh subdirectory, removed afterwards);
	 * {@code null} for a hidden temporary directory next to the database, whose disk is sized for it
	 */
	public RestoreVerifier(Replicator replicator, Path scratchDirectory) {
		this.replicator = replicator;
		this.scratchDirectory = scratchDirectory;
	}

	/** The last verification's result, or {@code null} before the first. */
	public VerificationResult last() {
		return this.last;
	}

	/** Adds a callback for every finished verification (metrics). */
	public void addListener(Consumer<VerificationResult> listener) {
		this.listeners.add(listener);
	}

	/** Runs a verification now (waiting for one already running to finish first) and records it. */
	public VerificationResult verify() {
		this.lock.lock();
		try {
			VerificationResult first = verifyOnce();
			VerificationResult result = (!first.ok() && first.message().contains(SNAPSHOT_REPLACED)) ? verifyOnce()
					: first;
			if (result.ok()) {
				logger.info("{}: restore verification passed at {}: {}", this.replicator.databasePath(),
						result.position(), result.message());
				for (String warning : result.warnings()) {
					logger.warn("{}: restore verification: {}", this.replicator.databasePath(), warning);
				}
			}
			else {
				logger.error("{}: restore verification FAILED at {}: {}", this.replicator.databasePath(),
						result.position(), result.message());
			}
			this.last = result;
			this.listeners.forEach((l) -> l.accept(result));
			return result;
		}
		finally {
			this.lock.unlock();
		}
	}

	private static final String SNAPSHOT_REPLACED = "was replaced by a newer snapshot during the verification";

	private VerificationResult verifyOnce() {
		Instant at = Instant.now();
		Pinned pinned;
		try {
			pinned = this.replicator.callWithForcedSyncs(this::pin);
		}
		catch (LitestreamException ex) {
			return VerificationResult.failed(at, this.replicator.database().position(),
					"cannot bring every replica to the local position: " + ex.getMessage());
		}
		Pos pos = pinned.position();
		Map<String, String> live;
		try (Connection c = pinned.connection()) {
			live = TableChecksums.of(c);
			c.rollback();
		}
		catch (SQLException ex) {
			return VerificationResult.failed(at, pos, "cannot read the live database: " + ex.getMessage());
		}
		Path scratch;
		try {
			scratch = (this.scratchDirectory != null)
					? Files.createDirectories(this.scratchDirectory).resolve("verify-" + System.nanoTime())
					: this.replicator.databasePath()
						.resolveSibling("." + this.replicator.databasePath().getFileName() + "-verify-" + System.nanoTime());
			Files.createDirectories(scratch);
		}
		catch (IOException ex) {
			return VerificationResult.failed(at, pos, "cannot create a scratch directory: " + ex.getMessage());
		}
		try {
			List<VerificationResult.ReplicaResult> results = new ArrayList<>();
			for (Replica replica : this.replicator.replicas()) {
				results.add(verifyReplica(replica, pos, live, pinned.snapshotTimes().get(replica.name()),
						scratch.resolve("restored-" + results.size() + ".db")));
			}
			boolean ok = results.stream().allMatch(VerificationResult.ReplicaResult::ok);
			Duration rto = results.stream().map(VerificationResult.ReplicaResult::restoreDuration)
				.max(Comparator.naturalOrder()).orElse(Duration.ZERO);
			Duration check = results.stream().map(VerificationResult.ReplicaResult::checkDuration)
				.reduce(Duration.ZERO, Duration::plus);
			String message = ok ? results.size() + " replica(s) restored as of " + pos + " match the live database ("
					+ (live.size() - 1) + " tables, integrity_check ok)"
					: String.join("; ", results.stream().filter((r) -> !r.ok())
						.map((r) -> "replica '" + r.replica() + "': " + r.message()).toList());
			return new VerificationResult(ok, at, pos, rto, check, message, results);
		}
		finally {
			deleteRecursively(scratch);
		}
	}

	private VerificationResult.ReplicaResult verifyReplica(Replica replica, Pos pos, Map<String, String> live,
			Instant snapshotTime, Path output) {
		RestoreResult restored;
		try {
			restored = new Restorer(replica.client())
				.restore(RestoreOptions.latest(output).withParallelism(RestoreOptions.DEFAULT_PARALLELISM).upTo(pos));
		}
		catch (LitestreamException ex) {
			return new VerificationResult.ReplicaResult(replica.name(), false, Duration.ZERO, Duration.ZERO,
					"restore failed: " + ex.getMessage());
		}
		SnapshotInfo snapshot = restored.plan().snapshot();
		if (snapshot.index() == pos.index() && !Objects.equals(snapshot.createdAt(), snapshotTime)) {
			return new VerificationResult.ReplicaResult(replica.name(), false, restored.duration(), Duration.ZERO,
					"snapshot " + snapshot.pos() + " " + SNAPSHOT_REPLACED);
		}
		long started = System.nanoTime();
		Map<String, String> copy;
		try (Connection c = connect(output, true)) {
			copy = TableChecksums.of(c);
		}
		catch (SQLException ex) {
			return new VerificationResult.ReplicaResult(replica.name(), false, restored.duration(),
					Duration.ofNanos(System.nanoTime() - started), "cannot read the restored database: " + ex.getMessage());
		}
		Duration check = Duration.ofNanos(System.nanoTime() - started);
		List<String> differences = new ArrayList<>();
		for (String table : union(live, copy)) {
			String a = live.get(table);
			String b = copy.get(table);
			if (!Objects.equals(a, b)) {
				differences.add(table + " (live " + ((a != null) ? a.substring(0, a.indexOf(' ')) : "missing")
						+ ", restored " + ((b != null) ? b.substring(0, b.indexOf(' ')) : "missing") + ")");
			}
		}
		if (!differences.isEmpty()) {
			return new VerificationResult.ReplicaResult(replica.name(), false, restored.duration(), check,
					"restored database differs from the live database at " + pos + " in " + String.join(", ", differences));
		}
		return new VerificationResult.ReplicaResult(replica.name(), true, restored.duration(), check,
				"restored generation " + restored.plan().generation() + " in " + restored.duration().toMillis()
						+ " ms, " + restored.downloadedBytes() + " bytes downloaded, contents match",
				latestRestoreWarning(replica, output));
	}

	/**
	 * The verification restores the live generation; a disaster restore takes the latest state. When that
	 * would skip a newer generation without snapshot (a crash during another writer's first snapshot),
	 * say so: its commits are in no restore.
	 */
	private static String latestRestoreWarning(Replica replica, Path output) {
		try {
			return new Restorer(replica.client()).plan(RestoreOptions.latest(output))
				.filter(RestorePlan::fellBack)
				.map(RestorePlan::describeFallback)
				.orElse(null);
		}
		catch (LitestreamException ex) {
			return "a restore of the latest state would fail: " + ex.getMessage();
		}
	}

	/** On the replication thread: the live database's read transaction at a position every replica holds. */
	private Pinned pin(Replicator.ForcedSync sync) {
		for (int attempt = 1; attempt <= MAX_PIN_ATTEMPTS; attempt++) {
			Pos before = sync.syncAll();
			Connection c = null;
			try {
				awaitCommitInFlight(this.replicator.databasePath());
				c = connect(this.replicator.databasePath(), false);
				try (Statement st = c.createStatement();
						ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM sqlite_schema")) {
					rs.next(); // the read transaction starts here, at the newest commit
				}
				Pos after = sync.syncAll();
				if (before.equals(after) && !before.isNone()) {
					Map<String, Instant> snapshotTimes = new HashMap<>();
					for (Replica replica : this.replicator.replicas()) {
						snapshotTimes.put(replica.name(), replica.client().snapshots(before.generation()).stream()
							.filter((s) -> s.index() == before.index())
							.map(SnapshotInfo::createdAt)
							.max(Comparator.naturalOrder()).orElse(null));
					}
					Pinned pinned = new Pinned(before, c, snapshotTimes);
					c = null;
					return pinned;
				}
			}
			catch (SQLException | IOException ex) {
				throw new LitestreamException("cannot pin a verification position: " + ex.getMessage(), ex);
			}
			finally {
				closeQuietly(c);
			}
		}
		throw new LitestreamException("the database changed between every two syncs in " + MAX_PIN_ATTEMPTS
				+ " attempts; try again when it is less busy");
	}

	/**
	 * A commit's frames reach the {@code -wal} file, and so the shadow WAL, before SQLite shows them to
	 * new readers (after the WAL's fsync: milliseconds at {@code synchronous=FULL}). Taking and at once
	 * dropping the write lock waits for a commit in flight, so the read transaction begun next sees
	 * every commit the sync before it copied; writers wait at most that moment.
	 */
	private void awaitCommitInFlight(Path database) throws SQLException {
		SQLiteConfig config = new SQLiteConfig();
		config.setBusyTimeout((int) this.replicator.database().options().busyTimeout().toMillis());
		try (Connection w = config.createConnection("jdbc:sqlite:" + database); Statement st = w.createStatement()) {
			st.execute("BEGIN IMMEDIATE");
			st.execute("ROLLBACK");
		}
	}

	private Connection connect(Path database, boolean autoCommit) throws SQLException {
		SQLiteConfig config = new SQLiteConfig();
		config.setReadOnly(true);
		config.setBusyTimeout((int) this.replicator.database().options().busyTimeout().toMillis());
		Connection c = config.createConnection("jdbc:sqlite:" + database);
		c.setAutoCommit(autoCommit);
		return c;
	}

	private static List<String> union(Map<String, String> a, Map<String, String> b) {
		List<String> names = new ArrayList<>(a.keySet());
		b.keySet().stream().filter((k) -> !a.containsKey(k)).forEach(names::add);
		return names;
	}

	private static void closeQuietly(Connection c) {
		if (c != null) {
			try {
				c.close();
			}
			catch (SQLException ex) {
				logger.debug("cannot close verification connection: {}", ex.getMessage());
			}
		}
	}

	private static void deleteRecursively(Path dir) {
		try (Stream<Path> files = Files.walk(dir)) {
			for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(p);
			}
		}
		catch (IOException ex) {
			logger.warn("cannot delete verification scratch directory {}: {}", dir, ex.getMessage());
		}
	}

	private record Pinned(Pos position, Connection connection, Map<String, Instant> snapshotTimes) {

	}

}
