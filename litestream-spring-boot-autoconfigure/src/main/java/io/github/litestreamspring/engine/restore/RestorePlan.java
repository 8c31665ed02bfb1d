package io.github.litestreamspring.engine.restore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.github.litestreamspring.engine.CompactedWalInfo;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

/**
 * Which objects a restore reads: one snapshot, then every WAL index from the snapshot's index to
 * {@link #lastIndex()}, each as its segments in offset order, where compacted WAL objects
 * ({@link #compacted()}) may stand for runs of them: one entry in {@code segments}, at the object's start,
 * for each.
 *
 * @param generation the generation restored
 * @param snapshot the snapshot restored first
 * @param segments WAL segments to apply, sorted by index then offset
 * @param updatedAt the newest object in the generation
 * @param skipped newer generations that could not be restored (WAL but no snapshot), newest first: the
 * restore fell back past them, and their commits are not in it. Empty in the normal case
 * @param compacted the entries of {@code segments} that are compacted WAL objects, by their start (the
 * entry carries the object's size and time)
 */
public record RestorePlan(String generation, SnapshotInfo snapshot, List<WalSegmentInfo> segments,
		Instant updatedAt, List<IncompleteGeneration> skipped, Map<Pos, CompactedWalInfo> compacted) {

	public RestorePlan {
		segments = List.copyOf(segments);
		skipped = List.copyOf(skipped);
		compacted = Map.copyOf(compacted);
	}

	public RestorePlan(String generation, SnapshotInfo snapshot, List<WalSegmentInfo> segments, Instant updatedAt) {
		this(generation, snapshot, segments, updatedAt, List.of(), Map.of());
	}

	RestorePlan withSkipped(List<IncompleteGeneration> generations) {
		return new RestorePlan(this.generation, this.snapshot, this.segments, this.updatedAt, generations,
				this.compacted);
	}

	/** Whether the restore fell back past a newer, incomplete generation. */
	public boolean fellBack() {
		return !this.skipped.isEmpty();
	}

	/**
	 * For warnings: "skipped generation X (N WAL segments up to T, no snapshot), ...: restoring older
	 * generation Y".
	 */
	public String describeFallback() {
		return "skipped " + String.join(", ", this.skipped.stream().map(IncompleteGeneration::describe).toList())
				+ ": it cannot be restored, restoring the newest complete generation " + this.generation
				+ " (up to " + this.updatedAt + ") instead; commits only in the skipped generation are not restored";
	}

	/** The highest WAL index applied (the snapshot's index when there are no segments). */
	public long lastIndex() {
		return this.segments.isEmpty() ? this.snapshot.index()
				: this.segments.get(this.segments.size() - 1).index();
	}

	/** Segments grouped by index, in index order. */
	public Map<Long, List<WalSegmentInfo>> segmentsByIndex() {
		return byIndex(this.segments);
	}

	/** {@code segments} grouped by index, in index order, each group in the list's order. */
	static TreeMap<Long, List<WalSegmentInfo>> byIndex(List<WalSegmentInfo> segments) {
		TreeMap<Long, List<WalSegmentInfo>> byIndex = new TreeMap<>();
		for (WalSegmentInfo segment : segments) {
			byIndex.computeIfAbsent(segment.index(), i -> new ArrayList<>()).add(segment);
		}
		return byIndex;
	}

	/** Compressed bytes to download. */
	public long bytes() {
		return this.snapshot.size() + this.segments.stream().mapToLong(WalSegmentInfo::size).sum();
	}

}
