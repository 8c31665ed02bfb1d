package io.github.litestreamspring.engine.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.db.FileSync;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

/**
 * Brings a closed database file that holds a position {@code R} of a generation forward with the
 * replica's WAL of that generation: indexes {@code R.index} (again from offset 0: frames are page
 * images and later frames win, so what the file already holds changes nothing) to the last one listed,
 * downloaded and checked frame by frame as in a restore ({@link WalReplay}, {@link WalIndexCheck}), then
 * applied by SQLite's own checkpoint. The shared step of a hand-over's catch-up ({@link Continuation},
 * which applies to a copy it renames over the file) and a follower's apply (which applies in place to a
 * copy nobody has open).
 */
public final class WalCatchUp {

	private WalCatchUp() {
	}

	/**
	 * Applies to {@code database} itself, which nothing may have open, the WAL in {@code segments} from
	 * {@code from.index} on. A failure may leave the file partly brought forward (each index applied is a
	 * committed state, but the caller no longer knows which): the caller treats the file as unknown.
	 * @param client the replica
	 * @param database the closed database file, holding exactly {@code from}
	 * @param from the position the file holds
	 * @param segments the generation's WAL segments as listed (sorted; those below {@code from.index} are
	 * ignored)
	 * @param parallelism downloads at once
	 * @return the exact position the file holds afterwards (the last index and the end of its last whole
	 * transaction); {@code from} when there was nothing to apply
	 * @throws LitestreamException naming the cause: a missing index or segment (retention deleted it, or
	 * a snapshot replaced lost WAL), a damaged frame, or an end before {@code from}
	 */
	public static Pos applyInPlace(ReplicaClient client, Path database, Pos from, List<WalSegmentInfo> segments,
			int parallelism) {
		Path db = database.toAbsolutePath();
		RestoreFiles files = new RestoreFiles(db);
		try {
			removeEmptyWal(db);
			SnapshotInfo base = new SnapshotInfo(from.generation(), from.index(), 0, Instant.EPOCH);
			RestorePlan plan = plan(client, from.generation(), segments, base, from, null);
			if (plan.segments().isEmpty()) {
				return from;
			}
			files.deleteTemporaryFiles();
			Restorer.loadSqliteInBackground();
			long bytes = plan.segments().stream().mapToLong(WalSegmentInfo::size).sum();
			WalReplay replay = new WalReplay(client, plan, files, parallelism, new RestoreProgress(db, bytes))
				.applyingTo(db);
			replay.run();
			Pos end = replay.end();
			if (end == null || end.compareTo(from) < 0) {
				throw new LitestreamException("the replica's WAL ends at " + end + ", before the " + from
						+ " the file holds");
			}
			FileSync.fsync(db);
			removeEmptyWal(db);
			return end;
		}
		catch (IOException | SQLException | RuntimeException ex) {
			String message = (ex instanceof LitestreamException) ? ex.getMessage()
					: ex.getClass().getSimpleName() + ": " + ex.getMessage();
			throw new LitestreamException("cannot bring " + db + " forward from " + from + " with the WAL of "
					+ client.describe() + ": " + message, ex);
		}
		finally {
			files.deleteTemporaryFilesQuietly();
		}
	}

	/**
	 * The segments from index {@code R.index} offset 0 up to {@code T} ({@code null}: all listed), each
	 * index present and starting at offset 0. With a target, none may lie past it (later WAL was written by
	 * someone continuing from {@code T}: a continuation there would fork).
	 */
	/**
	 * The first index in {@code (after, upTo]} that has a snapshot in {@code snapshots}, or {@code null}.
	 * WAL must never be replayed across such a snapshot: it may stand for WAL the replica never received (a
	 * primary whose shadow WAL outgrew its bound, or whose upload failed for good, starts the next index
	 * with a snapshot), so the index before it can end early and the next one's WAL on top would mix two
	 * states. Only a restore from that snapshot is sure.
	 */
	public static Long snapshotBetween(List<SnapshotInfo> snapshots, long after, long upTo) {
		return snapshots.stream()
			.map(SnapshotInfo::index)
			.filter((i) -> i > after && i <= upTo)
			.min(Long::compare)
			.orElse(null);
	}

	static RestorePlan plan(ReplicaClient client, String generation, List<WalSegmentInfo> all, SnapshotInfo snapshot,
			Pos restored, Pos end) {
		List<WalSegmentInfo> chosen = new ArrayList<>();
		for (WalSegmentInfo s : all) {
			if (end != null && (s.index() > end.index() || (s.index() == end.index() && s.offset() >= end.offset()))) {
				throw new LitestreamException("the replica's generation " + generation + " goes on past the target "
						+ end + " (segment " + s.pos() + "): another instance wrote after it; restore from scratch");
			}
			if (s.index() >= restored.index()) {
				chosen.add(s);
			}
		}
		RestorePlan plan = new RestorePlan(generation, snapshot, chosen, Instant.now());
		long expected = restored.index();
		for (Map.Entry<Long, List<WalSegmentInfo>> entry : plan.segmentsByIndex().entrySet()) {
			if (entry.getKey() != expected || entry.getValue().get(0).offset() != 0) {
				break;
			}
			expected++;
		}
		long last = (end != null) ? end.index() : (chosen.isEmpty() ? restored.index() - 1 : plan.lastIndex());
		if (expected != last + 1) {
			throw new LitestreamException("the replica lacks WAL segment "
					+ ReplicaPaths.walSegmentPath("", generation, expected, 0) + " needed to go from " + restored + " to "
					+ ((end != null) ? end : "its end") + " (deleted by retention, or never written); restore from scratch");
		}
		return plan;
	}

	/**
	 * An empty {@code -wal} and the {@code -shm} are what the last reader of a WAL database may leave; one
	 * with frames means something wrote to the file, which then no longer holds the position it is said to.
	 */
	private static void removeEmptyWal(Path db) throws IOException {
		Path wal = db.resolveSibling(db.getFileName() + "-wal");
		if (Files.exists(wal) && Files.size(wal) > 0) {
			throw new LitestreamException(wal + " holds " + Files.size(wal) + " bytes: the file was written after it "
					+ "was brought to its recorded position; restore it again");
		}
		Files.deleteIfExists(wal);
		Files.deleteIfExists(db.resolveSibling(db.getFileName() + "-shm"));
	}

}
