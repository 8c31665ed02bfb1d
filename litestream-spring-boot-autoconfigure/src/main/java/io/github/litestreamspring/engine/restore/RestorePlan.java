package io.github.litestreamspring.engine.restore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.github.litestreamspring.engine.replica.SnapshotInfo;
import io.github.litestreamspring.engine.replica.WalSegmentInfo;

/**
 * Which objects a restore reads: one snapshot, then every WAL index from the snapshot's index to
 * {@link #lastIndex()}, each as its segments in offset order.
 *
 * @param generation the generation restored
 * @param snapshot the snapshot restored first
 * @param segments WAL segments to apply, sorted by index then offset
 * @param updatedAt the newest object in the generation
 */
public record RestorePlan(String generation, SnapshotInfo snapshot, List<WalSegmentInfo> segments,
		Instant updatedAt) {

	public RestorePlan {
		segments = List.copyOf(segments);
	}

	/** The highest WAL index applied (the snapshot's index when there are no segments). */
	public long lastIndex() {
		return this.segments.isEmpty() ? this.snapshot.index()
				: this.segments.get(this.segments.size() - 1).index();
	}

	/** Segments grouped by index, in index order. */
	public Map<Long, List<WalSegmentInfo>> segmentsByIndex() {
		Map<Long, List<WalSegmentInfo>> byIndex = new TreeMap<>();
		for (WalSegmentInfo segment : this.segments) {
			byIndex.computeIfAbsent(segment.index(), i -> new ArrayList<>()).add(segment);
		}
		return byIndex;
	}

	/** Compressed bytes to download. */
	public long bytes() {
		return this.snapshot.size() + this.segments.stream().mapToLong(WalSegmentInfo::size).sum();
	}

}
