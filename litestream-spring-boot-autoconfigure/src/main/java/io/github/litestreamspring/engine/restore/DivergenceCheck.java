package io.github.litestreamspring.engine.restore;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.github.litestreamspring.engine.db.LocalHistory;
import io.github.litestreamspring.engine.lz4.Lz4Frames;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.wal.WalFrameHeader;
import io.github.litestreamspring.engine.wal.WalHeader;

/**
 * Compares an existing local database's history ({@link LocalHistory}) with a replica's before the
 * application starts on it, so that a stale local copy never silently wins over newer commits in the
 * replica (a pod back on an old volume, a VM rolled back, another instance that wrote meanwhile).
 * <p>
 * Two histories are compared at the shorter one's end, by the bytes that end there: a WAL frame (its
 * header carries the cumulative checksum of every frame before it in the index, so equal frames mean
 * an equal index up to there) or the WAL header at an index's start. Costs one listing per generation
 * and at most three WAL segment downloads (the end of the newest and of the local generation, and the
 * segment holding the compared frame).
 */
public final class DivergenceCheck {

	/** How the local history relates to the replica's. */
	public enum Verdict {

		/** The local database has no recorded history (never replicated here, or its metadata is gone). */
		NO_LOCAL_HISTORY,

		/** The replica holds no backup. */
		NO_BACKUP,

		/** The replica's newest generation is the local one and holds nothing the local database lacks. */
		LOCAL_CURRENT,

		/**
		 * The replica holds everything the local database has, and more: restore from the replica (the
		 * local database is a strict prefix of the replica's history).
		 */
		LOCAL_BEHIND,

		/** Each side holds commits the other lacks, or the local side cannot be tied to the replica's. */
		FORK

	}

	/**
	 * @param verdict the outcome
	 * @param local where the local history ends
	 * @param replica where the replica's newest generation ends ({@link Pos#NONE} without a backup)
	 * @param reason one sentence for the log and for a start-up failure
	 */
	public record Result(Verdict verdict, Pos local, Pos replica, String reason) {

	}

	private final ReplicaClient client;

	/** Each generation is listed once per check, however many questions are asked of it. */
	private final Map<String, Listing> listings = new HashMap<>();

	public DivergenceCheck(ReplicaClient client) {
		this.client = client;
	}

	private Listing listing(String generation) throws IOException {
		Listing listing = this.listings.get(generation);
		if (listing == null) {
			listing = new Listing(this.client.snapshots(generation), this.client.walSegments(generation));
			this.listings.put(generation, listing);
		}
		return listing;
	}

	private record Listing(List<SnapshotInfo> snapshots, List<WalSegmentInfo> segments) {

	}

	public Result check(LocalHistory local) throws IOException {
		if (local.proof() == LocalHistory.Proof.NONE) {
			return new Result(Verdict.NO_LOCAL_HISTORY, Pos.NONE, Pos.NONE, "the local database has no replication history");
		}
		String newest = null;
		Instant newestAt = null;
		for (String generation : this.client.generations()) {
			Instant updated = updatedAt(generation);
			if (updated != null && (newestAt == null || updated.isAfter(newestAt))) {
				newest = generation;
				newestAt = updated;
			}
		}
		if (newest == null) {
			return new Result(Verdict.NO_BACKUP, local.end(), Pos.NONE, "the replica holds no backup");
		}
		Pos newestEnd = end(newest);
		String localGeneration = local.generation();
		Pos localEnd = local.end();
		if (newest.equals(localGeneration)) {
			if (local.proof() == LocalHistory.Proof.UNPROVEN) {
				// Nothing ties the file to its generation (stopped by an older version, replaced by an
				// operator's restore, copied back from a file-level backup). If the replica holds no more
				// than the local history recorded, the file is what the operator left: it starts a new
				// generation. If the replica holds more, the file may be a stale copy or hold commits of
				// its own: nothing can tell, so the operator must.
				if (newestEnd.compareTo(local.shadowEnd()) > 0) {
					return new Result(Verdict.FORK, localEnd, newestEnd, "the replica holds generation " + newest
							+ " up to " + newestEnd + ", past the local history's recorded end " + local.shadowEnd()
							+ ", and the local database file cannot be tied to that history (it was replaced, copied "
							+ "or modified while the application was down)");
				}
				return new Result(Verdict.LOCAL_CURRENT, localEnd, newestEnd,
						"the local database is not tied to generation " + newest + "; it starts a new one");
			}
			return within(local, localEnd, newestEnd);
		}
		// The replica's newest generation is another one: somebody wrote after the local generation.
		String why = "the replica's newest generation " + newest + " (last written " + newestAt + ", at "
				+ newestEnd + ") is not the local generation " + localGeneration;
		Instant localUpdated = updatedAt(localGeneration);
		if (localUpdated == null) {
			if (newestAt.isBefore(local.generationStartedAt())) {
				// The local generation began after the replica's last write and has not reached it yet (a
				// crash before its first snapshot): the local database is the newer one.
				return new Result(Verdict.LOCAL_CURRENT, localEnd, newestEnd,
						"the local generation " + localGeneration + " started after the replica's last write");
			}
			return new Result(Verdict.FORK, localEnd, newestEnd,
					why + ", and the local generation was never shipped");
		}
		if (local.proof() == LocalHistory.Proof.UNPROVEN) {
			return new Result(Verdict.FORK, localEnd, newestEnd,
					why + ", and the local database cannot be tied to its generation");
		}
		Result own = within(local, localEnd, end(localGeneration));
		if (own.verdict() == Verdict.LOCAL_CURRENT && !own.local().equals(own.replica())) {
			return new Result(Verdict.FORK, localEnd, newestEnd, why + ", and the local database holds commits of "
					+ localGeneration + " past " + own.replica() + " that were never shipped");
		}
		if (own.verdict() == Verdict.FORK) {
			return new Result(Verdict.FORK, localEnd, newestEnd, why + "; " + own.reason());
		}
		return new Result(Verdict.LOCAL_BEHIND, localEnd, newestEnd,
				why + "; every local commit is in the replica");
	}

	/** Compares two ends in the local generation. LOCAL_CURRENT also covers a local side ahead (unshipped). */
	private Result within(LocalHistory local, Pos localEnd, Pos replicaEnd) throws IOException {
		if (localEnd.compareTo(local.shadowEnd()) > 0 && replicaEnd.compareTo(local.shadowEnd()) > 0
				&& local.proof() == LocalHistory.Proof.CLEAN_STOP) {
			// Commits made since start-up sit in a new WAL that no shadow WAL holds yet, and the replica
			// moved on past the clean stop meanwhile: both sides wrote after it.
			return new Result(Verdict.FORK, localEnd, replicaEnd, "the replica moved past the clean stop at "
					+ local.shadowEnd() + " to " + replicaEnd + " while the local database was written since");
		}
		Pos shorter = (localEnd.compareTo(replicaEnd) <= 0) ? localEnd : replicaEnd;
		byte[] mine = (shorter.offset() > 0) ? local.bytesBefore(shorter) : null;
		byte[] theirs = (shorter.offset() > 0) ? bytesBefore(shorter, local.pageSize()) : null;
		boolean proven = mine != null && theirs != null && Arrays.equals(mine, theirs);
		if (mine != null && theirs != null && !proven) {
			return new Result(Verdict.FORK, localEnd, replicaEnd, "the local database and the replica differ at "
					+ shorter + " in generation " + shorter.generation() + ": both were written after that point");
		}
		if (localEnd.compareTo(replicaEnd) < 0) {
			if (!proven) {
				// The replica went on (to a later index, say) without the local database's last commit.
				return new Result(Verdict.FORK, localEnd, replicaEnd, "the replica moved on to " + replicaEnd
						+ " but does not hold the local database's last commit, at " + localEnd);
			}
			return new Result(Verdict.LOCAL_BEHIND, localEnd, replicaEnd,
					"the replica holds generation " + replicaEnd.generation() + " up to " + replicaEnd
							+ ", past the local database's " + localEnd);
		}
		return new Result(Verdict.LOCAL_CURRENT, localEnd, replicaEnd,
				localEnd.equals(replicaEnd) ? "the replica is in step" : "the replica is behind and catches up");
	}

	/** The frame (or WAL header) that ends at {@code end} in the replica; {@code null} if not found. */
	private byte[] bytesBefore(Pos end, int pageSize) throws IOException {
		if (pageSize == 0) {
			return null;
		}
		int length = (end.offset() == WalHeader.SIZE) ? WalHeader.SIZE : WalFrameHeader.SIZE + pageSize;
		long from = end.offset() - length;
		WalSegmentInfo holder = null;
		for (WalSegmentInfo s : listing(end.generation()).segments()) {
			if (s.index() == end.index() && s.offset() <= from) {
				holder = s;
			}
		}
		if (holder == null) {
			return null;
		}
		try (InputStream in = Lz4Frames.decompressingStream(this.client.openWalSegment(holder.pos()))) {
			in.skipNBytes(from - holder.offset());
			byte[] bytes = in.readNBytes(length);
			return (bytes.length == length) ? bytes : null;
		}
		catch (java.io.EOFException ex) {
			return null; // the index ends before that point in the replica
		}
	}

	/** Where a generation ends in the replica: the end of its last WAL segment, or its snapshot's index. */
	private Pos end(String generation) throws IOException {
		List<SnapshotInfo> snapshots = listing(generation).snapshots();
		List<WalSegmentInfo> segments = listing(generation).segments();
		WalSegmentInfo last = segments.isEmpty() ? null : segments.get(segments.size() - 1);
		long snapshotIndex = snapshots.isEmpty() ? -1 : snapshots.get(snapshots.size() - 1).index();
		if (last == null || last.index() < snapshotIndex) {
			return new Pos(generation, Math.max(0, snapshotIndex), 0);
		}
		long length;
		try (InputStream in = Lz4Frames.decompressingStream(this.client.openWalSegment(last.pos()))) {
			length = in.transferTo(java.io.OutputStream.nullOutputStream());
		}
		return new Pos(generation, last.index(), last.offset() + length);
	}

	private Instant updatedAt(String generation) throws IOException {
		Instant updated = null;
		for (SnapshotInfo s : listing(generation).snapshots()) {
			updated = (updated == null || s.createdAt().isAfter(updated)) ? s.createdAt() : updated;
		}
		for (WalSegmentInfo s : listing(generation).segments()) {
			updated = (updated == null || s.createdAt().isAfter(updated)) ? s.createdAt() : updated;
		}
		return updated;
	}

}
