package io.github.litestreamspring.engine.replication;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.github.litestreamspring.engine.CompactedWalInfo;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

/**
 * Deletes from one replica what no restore to a time at or after a boundary (now − retention) can
 * need: Litestream's {@code EnforceRetention}, made safe for point-in-time restore.
 * <p>
 * Litestream keeps only the snapshots created inside the window and deletes the rest with their WAL,
 * so a restore to the first hours of the window finds no base snapshot. Here, per generation:
 * <ul>
 * <li>the <em>base</em> is the snapshot a restore to the boundary itself would pick (the highest index
 * created at or before it); it and every snapshot above it are kept, older ones are deleted;</li>
 * <li>WAL segments below the oldest kept snapshot's index are deleted (no restore in the window reads
 * them: a restore starts at its snapshot's index), and so is the compacted WAL of those indexes;</li>
 * <li>a whole generation other than the current one is deleted only when all its objects are older than
 * the boundary <em>and</em> another generation with a base snapshot and newer objects exists: that one
 * wins every restore to a time in the window (the planner picks the newest generation that had started
 * by then), so the old one can never be chosen again.</li>
 * </ul>
 * Deletion order is snapshots, then WAL segments, then compacted WAL, then generations (a generation's
 * deletion takes its compacted WAL with it): a restore planned meanwhile either lists the
 * new state or fails on the missing object with a message naming it; it never reads a snapshot whose
 * WAL is partly gone without noticing (the planner and the applier check every index and offset).
 */
final class Retention {

	private final ReplicaClient client;

	Retention(ReplicaClient client) {
		this.client = client;
	}

	/**
	 * What one enforcement deleted.
	 *
	 * @param snapshots snapshots deleted (not counting those of whole generations)
	 * @param segments WAL segments deleted (not counting those of whole generations)
	 * @param generations whole generations deleted
	 */
	record Result(int snapshots, int segments, int generations) {

		boolean isEmpty() {
			return this.snapshots == 0 && this.segments == 0 && this.generations == 0;
		}

	}

	/**
	 * Deletes what a restore to any time at or after {@code boundary} does not need. The generation
	 * {@code current} (may be {@code null}) is never deleted as a whole.
	 */
	Result enforce(String current, Instant boundary) throws IOException {
		List<Listing> listings = new ArrayList<>();
		for (String generation : this.client.generations()) {
			listings.add(new Listing(generation, this.client.snapshots(generation),
					this.client.walSegments(generation)));
		}
		// The generation a restore to the boundary picks: newest objects among those with a base then.
		Listing anchor = null;
		for (Listing l : listings) {
			if (l.base(boundary) != null && (anchor == null || l.updatedAt().isAfter(anchor.updatedAt()))) {
				anchor = l;
			}
		}
		List<SnapshotInfo> snapshots = new ArrayList<>();
		List<WalSegmentInfo> segments = new ArrayList<>();
		List<CompactedWalInfo> compacted = new ArrayList<>();
		List<String> generations = new ArrayList<>();
		for (Listing l : listings) {
			if (l.isSupersededBy(anchor, current, boundary)) {
				generations.add(l.generation);
				continue;
			}
			SnapshotInfo base = l.base(boundary);
			if (base == null) {
				// Every snapshot is inside the window (or there is none): nothing below it to drop yet.
				continue;
			}
			for (SnapshotInfo s : l.snapshots) {
				if (s.index() < base.index()) {
					snapshots.add(s);
				}
			}
			for (WalSegmentInfo s : l.segments) {
				if (s.index() < base.index()) {
					segments.add(s);
				}
			}
			for (CompactedWalInfo c : this.client.compactedWals(l.generation)) {
				if (c.index() < base.index()) {
					compacted.add(c);
				}
			}
		}
		if (!snapshots.isEmpty()) {
			this.client.deleteSnapshots(snapshots);
		}
		if (!segments.isEmpty()) {
			this.client.deleteWalSegments(segments);
		}
		if (!compacted.isEmpty()) {
			this.client.deleteCompactedWals(compacted);
		}
		for (String generation : generations) {
			this.client.deleteGeneration(generation);
		}
		return new Result(snapshots.size(), segments.size(), generations.size());
	}

	/** One generation's objects as listed at the start of an enforcement. */
	private record Listing(String generation, List<SnapshotInfo> snapshots, List<WalSegmentInfo> segments) {

		/** The snapshot a restore to {@code time} picks: the highest index created at or before it. */
		SnapshotInfo base(Instant time) {
			SnapshotInfo base = null;
			for (SnapshotInfo s : this.snapshots) {
				if (!s.createdAt().isAfter(time) && (base == null || s.index() >= base.index())) {
					base = s;
				}
			}
			return base;
		}

		/** The newest object's time, or {@link Instant#MIN} for an empty generation. */
		Instant updatedAt() {
			Instant max = Instant.MIN;
			for (SnapshotInfo s : this.snapshots) {
				max = s.createdAt().isAfter(max) ? s.createdAt() : max;
			}
			for (WalSegmentInfo s : this.segments) {
				max = s.createdAt().isAfter(max) ? s.createdAt() : max;
			}
			return max;
		}

		boolean isSupersededBy(Listing anchor, String current, Instant boundary) {
			if (this.generation.equals(current) || !updatedAt().isBefore(boundary)) {
				return false;
			}
			if (this.snapshots.isEmpty() && this.segments.isEmpty()) {
				// An empty directory (e.g. left by an interrupted delete): nothing a restore could use.
				return true;
			}
			return anchor != null && anchor != this && anchor.updatedAt().isAfter(updatedAt());
		}

	}

}
