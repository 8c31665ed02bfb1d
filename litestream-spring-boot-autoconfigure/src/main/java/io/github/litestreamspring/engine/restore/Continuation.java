package io.github.litestreamspring.engine.restore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.SQLException;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.db.FileSync;
import io.github.litestreamspring.engine.db.LocalState;
import io.github.litestreamspring.engine.lz4.Lz4Frames;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

/**
 * Lets a freshly restored database continue the replica's generation instead of starting a new one
 * (a hand-over between instances, issue #14).
 * <ol>
 * <li>Catch up: the database file holds the state at a position {@code R} of generation {@code G}; the
 * replica's WAL of indexes {@code R.index} to {@code T.index} (up to exactly {@code T}) is applied to a
 * copy of it (each index checked frame by frame before SQLite applies it), and the copy atomically replaces the file.
 * Index {@code R.index} is applied again from offset 0: frames are page images and later frames win,
 * so frames the file already holds change nothing. Nothing is applied when {@code R == T}.</li>
 * <li>Seed the local state as a clean stop at {@code T} would have left it
 * ({@link LocalState#seedCleanStop}): the generation file, the shadow WAL of {@code T.index} holding
 * that index's WAL bytes {@code [0, T.offset)} as the replica has them, and the clean-stop record for the
 * file. The next {@code Database.open()} then continues {@code G} with WAL index {@code T.index + 1}: no
 * new generation, no new snapshot, and the replica's history proven to be the local one.</li>
 * </ol>
 * Refused with a {@link LitestreamException} naming the cause (the caller then restores from scratch,
 * or starts a new generation) when {@code T} is in another generation or before {@code R}, when the
 * replica holds a snapshot at an index after {@code R.index} (the WAL before it may be incomplete), when the
 * replica lacks a segment to reach {@code T} exactly or holds WAL past it, and when {@code T} is at
 * offset 0 (the generation's newest snapshot without any WAL of its index yet): the continued
 * generation would then have an index without WAL before the next one, which neither this engine's
 * restore nor Litestream v0.3.13 can restore past. A refusal leaves the database file untouched.
 */
public final class Continuation {

	private static final Logger logger = LoggerFactory.getLogger(Continuation.class);

	private Continuation() {
	}

	/**
	 * Catches {@code database} (closed, restored up to {@code restored}) up to {@code target} and seeds
	 * its local state in {@code metaDir} to continue that generation.
	 * @param client the replica the database was restored from
	 * @param database the database file; nothing may have it open
	 * @param metaDir its engine state directory ({@code DatabaseOptions.metaPath()})
	 * @param restored the exact position the file holds ({@link RestoreResult#position()})
	 * @param target where to continue from, in the same generation and not before {@code restored};
	 * {@code null} for the replica's current end of that generation
	 * @return the position continued from: the next start ships WAL index {@code target.index() + 1}
	 * @throws LitestreamException naming the cause when the generation cannot be continued
	 */
	public static Pos continueAt(ReplicaClient client, Path database, Path metaDir, Pos restored, Pos target) {
		Path db = database.toAbsolutePath();
		if (restored == null || restored.isNone()) {
			throw new IllegalArgumentException("continuing " + db + " needs the position its restore reached");
		}
		String generation = restored.generation();
		String what = "cannot continue generation " + generation + " of " + client.describe() + " on " + db;
		RestoreFiles files = new RestoreFiles(db);
		try {
			// Step 1: the file must be the restored one, nothing written on top of it.
			checkUntouched(db);
			if (target != null && !generation.equals(target.generation())) {
				throw new LitestreamException("the target " + target + " is in another generation than the restored "
						+ "database (" + restored + "); restore that generation from scratch");
			}
			// Step 2: what the replica holds of the generation, and where to stop.
			List<WalSegmentInfo> all = client.walSegments(generation);
			List<SnapshotInfo> snapshots = client.snapshots(generation);
			if (snapshots.isEmpty()) {
				throw new LitestreamException("the replica has no snapshot of generation " + generation
						+ " (deleted, or never complete); restore the latest generation from scratch");
			}
			Pos end = (target != null) ? target : replicaEnd(client, generation, all, snapshots);
			if (end.compareTo(restored) < 0) {
				throw new LitestreamException("the database holds " + restored + ", beyond the target " + end
						+ "; restore up to the target from scratch");
			}
			if (end.offset() == 0) {
				throw new LitestreamException("the replica has no WAL of index " + ReplicaPaths.formatIndex(end.index())
						+ " (snapshot only, at " + end + "): a continued generation would skip that index, which "
						+ "neither this engine's restore nor Litestream v0.3.13 can restore past; start a new generation");
			}
			Long past = WalCatchUp.snapshotBetween(snapshots, restored.index(), end.index());
			if (past != null) {
				throw new LitestreamException("the replica has a snapshot at WAL index " + ReplicaPaths.formatIndex(past)
						+ ", past the index " + ReplicaPaths.formatIndex(restored.index())
						+ " the database was restored at: the WAL before it may be incomplete; restore from that snapshot");
			}
			RestorePlan plan = WalCatchUp.plan(client, generation, all, snapshots.get(snapshots.size() - 1), restored, end);
			// Step 3: apply the WAL to a copy (or, at R == T, only fetch the last index), keeping that index's WAL.
			Path seed = files.seedWal();
			files.deleteTemporaryFiles();
			boolean applying = restored.compareTo(end) < 0;
			if (applying) {
				Restorer.loadSqliteInBackground();
				Files.copy(db, files.tmp(), StandardCopyOption.REPLACE_EXISTING);
			}
			long bytes = plan.segments().stream().mapToLong(WalSegmentInfo::size).sum();
			WalReplay replay = new WalReplay(client, plan, files, RestoreOptions.DEFAULT_PARALLELISM,
					new RestoreProgress(db, bytes)).keepingLastIndexAs(seed);
			(applying ? replay : replay.withoutApplying()).run();
			if (!end.equals(replay.end())) {
				throw new LitestreamException("the replica's WAL reaches " + replay.end() + ", not exactly " + end
						+ " (a segment crosses it, or its last transaction is unfinished); restore from scratch");
			}
			if (applying) {
				replaceWithCopy(db, files);
			}
			// Step 4: the local state of a clean stop at T.
			new LocalState(metaDir).seedCleanStop(db, end, seed);
			logger.info("{}: continuing generation {} of {}: restored at {}, caught up to {}, the next start ships WAL "
					+ "index {}", db, generation, client.describe(), restored, end,
					ReplicaPaths.formatIndex(end.index() + 1));
			return end;
		}
		catch (IOException | SQLException | RuntimeException ex) {
			String message = (ex instanceof LitestreamException) ? ex.getMessage()
					: ex.getClass().getSimpleName() + ": " + ex.getMessage();
			throw new LitestreamException(what + ": " + message, ex);
		}
		finally {
			files.deleteTemporaryFilesQuietly();
		}
	}

	/** A restored database has no {@code -wal} with frames and no {@code -journal}: else it was written since. */
	private static void checkUntouched(Path db) throws IOException {
		Path wal = db.resolveSibling(db.getFileName() + "-wal");
		Path journal = db.resolveSibling(db.getFileName() + "-journal");
		if (!Files.exists(db) || (Files.exists(wal) && Files.size(wal) > 0) || Files.exists(journal)) {
			throw new LitestreamException("the database file is missing or was written after its restore (it has a "
					+ "-wal or -journal); restore it again, with nothing opening it before the generation continues");
		}
	}

	/**
	 * The end of the generation in the replica: the end of its highest WAL segment, or the highest
	 * snapshot's index at offset 0 if that index has no WAL yet.
	 */
	private static Pos replicaEnd(ReplicaClient client, String generation, List<WalSegmentInfo> all,
			List<SnapshotInfo> snapshots) throws IOException {
		long snapshotIndex = snapshots.stream().mapToLong(SnapshotInfo::index).max().orElse(0);
		WalSegmentInfo last = all.isEmpty() ? null : all.get(all.size() - 1);
		if (last == null || last.index() < snapshotIndex) {
			return new Pos(generation, snapshotIndex, 0);
		}
		long length;
		try (InputStream in = Lz4Frames.decompressingStream(client.openWalSegment(last.pos()))) {
			length = in.transferTo(OutputStream.nullOutputStream());
		}
		return new Pos(generation, last.index(), last.offset() + length);
	}

	/**
	 * Moves the caught-up copy over the database, durably. No {@code PRAGMA integrity_check} here: it
	 * reads the whole database (seconds per GiB) while no instance accepts writes during a hand-over;
	 * the restore being caught up had passed it, and the WAL applied on top was checked frame by frame
	 * ({@link WalIndexCheck}: salts, checksum chain, contiguity, whole transactions) before SQLite applied it.
	 */
	private static void replaceWithCopy(Path db, RestoreFiles files) throws IOException, SQLException {
		Path tmp = files.tmp();
		files.finishTmp();
		FileSync.fsync(tmp);
		files.removeStaleSqliteFiles();
		Files.move(tmp, db, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		FileSync.fsyncDirectory(db.getParent());
	}

}
