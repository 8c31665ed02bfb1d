package io.github.litestreamspring.engine.restore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteJDBCLoader;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.db.FileSync;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.ReplicaPaths;

/**
 * Restores a database from a replica (Litestream's {@code restore}).
 * <ol>
 * <li>Plan: generation, snapshot and WAL segments ({@link RestorePlanner}).</li>
 * <li>Decompress the snapshot into {@code <out>.tmp}.</li>
 * <li>Download WAL indexes in parallel, each into its own file, checking that its segments are
 * contiguous; apply them strictly in index order, each after {@link WalIndexCheck} proved every frame
 * valid, by letting SQLite itself check­point it ({@code wal_checkpoint(TRUNCATE)}).</li>
 * <li>Run {@code PRAGMA integrity_check}; remove any {@code <out>-wal}, {@code <out>-shm} and
 * {@code <out>-journal} left by an earlier database (SQLite would replay them onto the restored one), then
 * rename {@code <out>.tmp} to {@code <out>}.</li>
 * </ol>
 * Every exit — success, failure at any step, interrupt — removes the temporary files
 * ({@link RestoreFiles}); a failed restore leaves no output behind.
 */
public final class Restorer {

	private static final Logger logger = LoggerFactory.getLogger(Restorer.class);

	private static final AtomicBoolean sqliteLoadStarted = new AtomicBoolean();

	private final ReplicaClient client;

	public Restorer(ReplicaClient client) {
		this.client = client;
	}

	/** What {@link #restore} would read, or empty if the replica has no matching backup. */
	public Optional<RestorePlan> plan(RestoreOptions options) {
		try {
			return new RestorePlanner(this.client).plan(options);
		}
		catch (IOException ex) {
			throw new LitestreamException("cannot list " + this.client.describe() + ": " + ex.getMessage(), ex);
		}
	}

	public RestoreResult restore(RestoreOptions options) {
		long started = System.nanoTime();
		Path output = options.outputPath().toAbsolutePath();
		if (Files.exists(output)) {
			if (options.ifDbNotExists()) {
				logger.info("{}: database exists, skipping restore", output);
				return new RestoreResult(RestoreResult.Outcome.DATABASE_EXISTS, output, null, 0, elapsed(started));
			}
			if (!options.overwrite()) {
				throw new LitestreamException("cannot restore to " + output
						+ ": the file already exists (remove it, restore to another path, or allow overwriting)");
			}
		}
		loadSqliteInBackground();
		Optional<RestorePlan> planned = plan(options);
		if (planned.isEmpty()) {
			String what = "no matching backups found in " + this.client.describe() + describeTarget(options);
			if (options.ifReplicaExists()) {
				logger.info("{}: {}, nothing restored", output, what);
				return new RestoreResult(RestoreResult.Outcome.NO_BACKUP, output, null, 0, elapsed(started));
			}
			throw new LitestreamException(what);
		}
		RestorePlan plan = planned.get();
		if (plan.fellBack()) {
			logger.warn("{}: {} in {}", output, plan.describeFallback(), this.client.describe());
		}
		try {
			return restore(plan, options, output, started);
		}
		catch (LitestreamException ex) {
			if (plan.compacted().isEmpty() || Thread.currentThread().isInterrupted()) {
				throw ex;
			}
			// The compacted WAL only saves requests: the segments hold the same bytes. Whatever failed
			// (a damaged or missing compacted object, or anything else), one more attempt without it.
			logger.warn("{}: restore with compacted WAL failed ({}); restoring again from the WAL segments", output,
					ex.getMessage());
			RestorePlan fine;
			try {
				fine = new RestorePlanner(this.client, false).plan(options).orElseThrow(() -> ex);
			}
			catch (IOException listing) {
				ex.addSuppressed(listing);
				throw ex;
			}
			return restore(fine, options, output, started);
		}
	}

	private RestoreResult restore(RestorePlan plan, RestoreOptions options, Path output, long started) {
		logger.info("{}: restoring generation {} from {}: snapshot {} and WAL indexes {} to {} ({} objects{}, {} MB)",
				output, plan.generation(), this.client.describe(), ReplicaPaths.formatIndex(plan.snapshot().index()),
				ReplicaPaths.formatIndex(plan.snapshot().index()), ReplicaPaths.formatIndex(plan.lastIndex()),
				plan.segments().size(),
				plan.compacted().isEmpty() ? "" : ", " + plan.compacted().size() + " of them compacted whole indexes",
				String.format("%.1f", plan.bytes() / 1048576.0));
		RestoreFiles files = new RestoreFiles(output);
		Path tmp = files.tmp();
		RestoreProgress progress = new RestoreProgress(output, plan.bytes());
		Pos position;
		try {
			Files.createDirectories(output.getParent());
			files.deleteTemporaryFiles();
			restoreSnapshot(plan, tmp, progress);
			WalReplay replay = new WalReplay(this.client, plan, files, options.parallelism(), progress);
			replay.run();
			position = (replay.end() != null) ? replay.end() : new Pos(plan.generation(), plan.snapshot().index(), 0);
			checkIntegrity(tmp);
			files.finishTmp();
			// One fsync, as late as possible: the kernel writes the snapshot back while the WAL is applied
			// and checked, and the output name appears only once the bytes are durable.
			FileSync.fsync(tmp);
			// A leftover -wal/-shm/-journal of the output goes first, durably: after a crash between
			// the two steps there is no output and no stale WAL, never the restored file beside it.
			files.removeStaleSqliteFiles();
			FileSync.fsyncDirectory(output.getParent());
			Files.move(tmp, output, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
			FileSync.fsyncDirectory(output.getParent());
		}
		catch (IOException | SQLException | RuntimeException ex) {
			String message = (ex instanceof LitestreamException) ? ex.getMessage()
					: ex.getClass().getSimpleName() + ": " + ex.getMessage();
			throw new LitestreamException("cannot restore " + this.client.describe() + " to " + output + ": " + message,
					ex);
		}
		finally {
			// Every exit (success, failure, interrupt, an Error) leaves no temporary file behind.
			files.deleteTemporaryFilesQuietly();
		}
		Duration duration = elapsed(started);
		logger.info("{}: restored generation {} up to {} in {} ms ({} MB/s)", output, plan.generation(), position,
				duration.toMillis(), progress.mbPerSecond(duration.toNanos()));
		return new RestoreResult(RestoreResult.Outcome.RESTORED, output, plan, progress.downloaded(), duration,
				position);
	}

	/**
	 * A restore is often the first thing a JVM does with SQLite (the application's restore before its
	 * pool opens, the command-line tool), and loading sqlite-jdbc's native library (extracting and
	 * checking it) takes a few hundred milliseconds: done on a thread of its own, it overlaps the
	 * listing and the download instead of delaying the WAL replay. A failure here is not reported: the
	 * same load runs again, synchronized, on first use, and fails there with its own message.
	 */
	static void loadSqliteInBackground() {
		if (!sqliteLoadStarted.compareAndSet(false, true)) {
			return;
		}
		Thread loader = new Thread(() -> {
			try {
				SQLiteJDBCLoader.initialize();
			}
			catch (Exception | LinkageError ex) {
				logger.debug("loading SQLite ahead of the restore failed: {}", ex.toString());
			}
		}, "litestream-sqlite-load");
		loader.setDaemon(true);
		loader.start();
	}

	private void restoreSnapshot(RestorePlan plan, Path tmp, RestoreProgress progress) throws IOException {
		String name = "snapshot " + ReplicaPaths.snapshotPath("", plan.generation(), plan.snapshot().index());
		try (InputStream in = Lz4Decoding.open(this.client.openSnapshot(plan.generation(), plan.snapshot().index()),
				progress, name); OutputStream out = Files.newOutputStream(tmp)) {
			byte[] header = in.readNBytes(16);
			if (header.length < 16 || !new String(header, 0, 15, java.nio.charset.StandardCharsets.US_ASCII)
				.equals("SQLite format 3")) {
				throw new LitestreamException(name + " in " + this.client.describe() + " is not a SQLite database");
			}
			out.write(header);
			in.transferTo(out);
		}
		catch (IOException ex) {
			throw new IOException(name + ": " + ex.getMessage(), ex);
		}
	}

	static void checkIntegrity(Path tmp) throws SQLException {
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + tmp);
				Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("PRAGMA integrity_check")) {
			StringBuilder problems = new StringBuilder();
			while (rs.next()) {
				String row = rs.getString(1);
				if (!"ok".equals(row) && problems.length() < 2000) {
					problems.append(problems.length() > 0 ? "; " : "").append(row);
				}
			}
			if (problems.length() > 0) {
				throw new LitestreamException("restored database fails PRAGMA integrity_check: " + problems);
			}
		}
	}

	private static String describeTarget(RestoreOptions options) {
		StringBuilder sb = new StringBuilder();
		if (options.generation() != null) {
			sb.append(" generation=").append(options.generation());
		}
		if (options.index() >= 0) {
			sb.append(" index=").append(ReplicaPaths.formatIndex(options.index()));
		}
		if (options.timestamp() != null) {
			sb.append(" timestamp=").append(options.timestamp());
		}
		return (sb.length() > 0) ? " (" + sb.toString().trim() + ")" : "";
	}

	private static Duration elapsed(long startedNanos) {
		return Duration.ofNanos(System.nanoTime() - startedNanos);
	}

}
