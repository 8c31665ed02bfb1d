package io.github.litestreamspring.engine.restore;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import io.github.litestreamspring.engine.CompactedWalInfo;
import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

/**
 * Chooses what to restore from a replica listing (Litestream's {@code CalcRestoreTarget}), stricter
 * where Litestream is silently wrong:
 * <ul>
 * <li>the generation is the one with the newest object; ties go to the one that started later
 * (Litestream #631);</li>
 * <li>a timestamp later than every object restores the latest state instead of "no matching backups"
 * (Litestream #564); one earlier than a generation's first object excludes it;</li>
 * <li>a generation with WAL but no snapshot (a crash during its first snapshot) cannot be restored:
 * the plan falls back to the newest generation that has a snapshot and names the newer incomplete ones
 * ({@link RestorePlan#skipped()}) so that callers report them; with no complete generation at all it
 * fails instead of answering "no backup" (which would let a caller start empty over a replica that
 * holds data), and so does asking for an incomplete generation by name. Litestream v0.3.13 fails on the
 * newest generation: "no snapshots available". A generation with neither is ignored;</li>
 * <li>an index without a generation is that index in the generation a restore would pick (as in
 * Litestream's CLI), never another generation that happens to have a snapshot below it;</li>
 * <li>WAL below the snapshot is ignored, so leftovers of an interrupted prune do not break a restore
 * (Litestream #224, #535);</li>
 * <li>every index from the snapshot to the last one must be present and start at offset 0, else the
 * plan fails naming the missing object. Contiguity inside an index is checked while applying.</li>
 * </ul>
 * A sealed index with a compacted WAL object ({@link CompactedWalInfo}) is read as that one object
 * instead of its segments wherever the restore takes the whole index: always for the latest state, for
 * an index or a position before the one it stops in, and for a time at or after the object was written
 * (it is written after every segment of its index, so all of them are before that time). A restore that
 * is not to a time then lists only what no compacted object covers: the segments after the last one
 * (S3's {@code StartAfter}), and those of any index without one. So a restore's requests grow with the
 * number of WAL indexes since the snapshot, not with the number of segments. A restore to a time lists
 * every segment (they are chosen by their timestamps, as Litestream does) and still downloads one object
 * per whole index.
 */
final class RestorePlanner {

	private final ReplicaClient client;

	/** Whether compacted WAL objects are used; a restore that failed on one plans again without them. */
	private final boolean compacted;

	RestorePlanner(ReplicaClient client) {
		this(client, true);
	}

	RestorePlanner(ReplicaClient client, boolean compacted) {
		this.client = client;
		this.compacted = compacted;
	}

	Optional<RestorePlan> plan(RestoreOptions options) throws IOException {
		if (options.generation() == null && options.index() >= 0) {
			Optional<RestorePlan> latest = plan(new RestoreOptions(options.outputPath(), null, -1, null,
					options.parallelism(), options.ifDbNotExists(), options.ifReplicaExists(), options.overwrite()));
			if (latest.isEmpty()) {
				return latest;
			}
			return planGenerations(options.upTo(latest.get().generation(), options.index()))
				.map((p) -> p.withSkipped(latest.get().skipped()));
		}
		return planGenerations(options);
	}

	private Optional<RestorePlan> planGenerations(RestoreOptions options) throws IOException {
		List<String> generations = (options.generation() != null) ? List.of(options.generation())
				: this.client.generations();
		RestorePlan best = null;
		Instant bestCreatedAt = null;
		List<IncompleteGeneration> incomplete = new ArrayList<>();
		for (String generation : generations) {
			List<SnapshotInfo> snapshots = this.client.snapshots(generation);
			List<CompactedWalInfo> compactedWals = (this.compacted && !snapshots.isEmpty())
					? this.client.compactedWals(generation) : List.of();
			SnapshotInfo snapshot = chooseSnapshot(snapshots, options);
			List<WalSegmentInfo> segments = listWal(generation, snapshot, compactedWals, options);
			if (snapshots.isEmpty()) {
				// WAL without a snapshot: a first snapshot that never made it (or was lost). Remembered so
				// that it is reported, never passed over silently.
				Instant created = segments.stream().map(WalSegmentInfo::createdAt).reduce(null, RestorePlanner::min);
				if (created != null && (options.timestamp() == null || !options.timestamp().isBefore(created))) {
					Instant updated = segments.stream().map(WalSegmentInfo::createdAt).reduce(null, RestorePlanner::max);
					incomplete.add(new IncompleteGeneration(generation, updated, segments.size()));
				}
				continue;
			}
			Instant createdAt = null;
			Instant updatedAt = null;
			for (SnapshotInfo s : snapshots) {
				createdAt = min(createdAt, s.createdAt());
				updatedAt = max(updatedAt, s.createdAt());
			}
			for (WalSegmentInfo s : segments) {
				createdAt = min(createdAt, s.createdAt());
				updatedAt = max(updatedAt, s.createdAt());
			}
			for (CompactedWalInfo c : compactedWals) {
				createdAt = min(createdAt, c.createdAt());
				updatedAt = max(updatedAt, c.createdAt());
			}
			if (options.timestamp() != null && options.timestamp().isBefore(createdAt)) {
				continue;
			}
			if (snapshot == null) {
				continue;
			}
			boolean better = best == null || updatedAt.isAfter(best.updatedAt())
					|| (updatedAt.equals(best.updatedAt()) && createdAt.isAfter(bestCreatedAt));
			if (better) {
				best = withCompacted(generation, snapshot, segments, chooseSegments(segments, snapshot, options),
						compactedWals, options, updatedAt);
				bestCreatedAt = createdAt;
			}
		}
		Instant chosenUpdatedAt = (best != null) ? best.updatedAt() : null;
		List<IncompleteGeneration> skipped = incomplete.stream()
			.filter((g) -> chosenUpdatedAt == null || !g.updatedAt().isBefore(chosenUpdatedAt))
			.sorted(Comparator.comparing(IncompleteGeneration::updatedAt).reversed())
			.toList();
		if (!skipped.isEmpty() && (best == null || options.generation() != null)) {
			IncompleteGeneration newest = skipped.get(0);
			throw new LitestreamException("generation " + newest.generation() + " in " + this.client.describe()
					+ " has WAL segments but no snapshot (" + ReplicaPaths.snapshotsPath("", newest.generation())
					+ " is empty) and cannot be restored"
					+ ((options.generation() != null) ? "; restore another generation, or the latest complete one"
							: "; no other generation has a snapshot to fall back to"));
		}
		if (best == null) {
			return Optional.empty();
		}
		check(best, options);
		return Optional.of(best.withSkipped(skipped));
	}

	/**
	 * The WAL segments the plan needs listed: every one for a restore to a time, or when there is no
	 * compacted WAL; otherwise those of the indexes from the snapshot on that no sealed compacted object
	 * covers (or that the restore stops inside), and the segments after the last sealed one.
	 */
	private List<WalSegmentInfo> listWal(String generation, SnapshotInfo snapshot, List<CompactedWalInfo> compacted,
			RestoreOptions options) throws IOException {
		Set<Long> sealed = new HashSet<>();
		compacted.stream().filter(CompactedWalInfo::sealed).forEach((c) -> sealed.add(c.index()));
		if (sealed.isEmpty() || snapshot == null || options.timestamp() != null) {
			return this.client.walSegments(generation);
		}
		long last = Collections.max(sealed);
		long limit = (options.index() >= 0) ? options.index() : Long.MAX_VALUE;
		Pos upTo = options.upToPosition();
		List<WalSegmentInfo> listed = new ArrayList<>();
		for (long i = snapshot.index(); i <= Math.min(last, limit); i++) {
			if (!sealed.contains(i) || (upTo != null && upTo.index() == i)) {
				listed.addAll(this.client.walSegmentsInIndex(generation, i));
			}
		}
		if (limit > last) {
			listed.addAll(this.client.walSegments(generation, Math.max(last + 1, snapshot.index())));
		}
		return listed;
	}

	/**
	 * The plan, with compacted objects standing for runs of the chosen segments where they may (see the
	 * class comment): per index, a sealed object where the restore takes the whole index, else from the
	 * index's start the longest compacted run that starts where the previous entry ended and ends where
	 * the restore may still go, or else the segment that starts there. An index the restore stops inside
	 * ends the plan, as before; a hole stays a hole, for {@link #check} and the replay to name.
	 */
	private static RestorePlan withCompacted(String generation, SnapshotInfo snapshot, List<WalSegmentInfo> listed,
			List<WalSegmentInfo> chosen, List<CompactedWalInfo> compacted, RestoreOptions options, Instant updatedAt) {
		if (compacted.isEmpty()) {
			return new RestorePlan(generation, snapshot, chosen, updatedAt);
		}
		TreeMap<Long, List<WalSegmentInfo>> listedPerIndex = RestorePlan.byIndex(listed);
		TreeMap<Long, List<WalSegmentInfo>> chosenPerIndex = RestorePlan.byIndex(chosen);
		TreeMap<Long, List<CompactedWalInfo>> usable = new TreeMap<>();
		for (CompactedWalInfo c : compacted) {
			boolean allowed = c.index() >= snapshot.index() && (options.index() < 0 || c.index() <= options.index())
					&& (options.timestamp() == null || !c.createdAt().isAfter(options.timestamp()));
			if (allowed) {
				usable.computeIfAbsent(c.index(), (i) -> new ArrayList<>()).add(c);
			}
		}
		long last = Math.max(chosenPerIndex.isEmpty() ? -1 : chosenPerIndex.lastKey(),
				usable.isEmpty() ? -1 : usable.lastKey());
		List<WalSegmentInfo> segments = new ArrayList<>();
		Map<Pos, CompactedWalInfo> used = new HashMap<>();
		for (long i = snapshot.index(); i <= last; i++) {
			List<WalSegmentInfo> all = listedPerIndex.getOrDefault(i, List.of());
			List<WalSegmentInfo> fine = chosenPerIndex.getOrDefault(i, List.of());
			// Where the restore stops inside this index: the first listed segment it does not take.
			long stop = (fine.size() < all.size()) ? all.get(fine.size()).offset() : Long.MAX_VALUE;
			List<CompactedWalInfo> objects = usable.getOrDefault(i, List.of());
			CompactedWalInfo whole = objects.stream()
				.filter((c) -> c.sealed() && stop == Long.MAX_VALUE)
				.findFirst()
				.orElse(null);
			if (whole != null) {
				add(segments, used, whole);
				continue;
			}
			coverWithRuns(all, fine, objects, stop, segments, used);
			if (stop != Long.MAX_VALUE) {
				break;
			}
			if (fine.isEmpty() && objects.isEmpty() && chosenPerIndex.ceilingKey(i) == null
					&& usable.ceilingKey(i) == null) {
				break;
			}
		}
		return new RestorePlan(generation, snapshot, segments, updatedAt, List.of(), used);
	}

	/**
	 * Adds one index's entries without a sealed object: from the index's start, the longest run object
	 * that starts where the previous entry ended and ends by {@code stop}, else the chosen segment that
	 * starts there. Chosen segments no entry reached are added too, so that the replay names the gap
	 * before them.
	 * @param all the index's listed segments
	 * @param fine the index's chosen segments: the first of {@code all}
	 */
	private static void coverWithRuns(List<WalSegmentInfo> all, List<WalSegmentInfo> fine,
			List<CompactedWalInfo> objects, long stop, List<WalSegmentInfo> segments, Map<Pos, CompactedWalInfo> used) {
		long offset = 0;
		int next = 0;
		while (true) {
			long from = offset;
			CompactedWalInfo run = objects.stream()
				.filter((c) -> !c.sealed() && c.start() == from && c.end() <= stop)
				.max(Comparator.comparingLong(CompactedWalInfo::end))
				.orElse(null);
			if (run != null) {
				add(segments, used, run);
				offset = run.end();
				while (next < fine.size() && fine.get(next).offset() < offset) {
					next++;
				}
			}
			else if (next < fine.size() && fine.get(next).offset() == offset) {
				segments.add(fine.get(next));
				// The next segment listed starts where this one ends.
				next++;
				if (next == all.size()) {
					break;
				}
				offset = all.get(next).offset();
			}
			else {
				break;
			}
		}
		segments.addAll(fine.subList(next, fine.size()));
	}

	private static void add(List<WalSegmentInfo> segments, Map<Pos, CompactedWalInfo> used, CompactedWalInfo c) {
		segments.add(new WalSegmentInfo(c.generation(), c.index(), c.start(), c.size(), c.createdAt()));
		used.put(c.startPos(), c);
	}

	private static SnapshotInfo chooseSnapshot(List<SnapshotInfo> snapshots, RestoreOptions options) {
		SnapshotInfo chosen = null;
		for (SnapshotInfo s : snapshots) {
			if (options.timestamp() != null && s.createdAt().isAfter(options.timestamp())) {
				continue;
			}
			if (options.index() >= 0 && s.index() > options.index()) {
				continue;
			}
			if (chosen == null || s.index() > chosen.index()
					|| (s.index() == chosen.index() && s.createdAt().isAfter(chosen.createdAt()))) {
				chosen = s;
			}
		}
		return chosen;
	}

	/** Segments from the snapshot's index on, up to the first one after the timestamp, index or position. */
	private static List<WalSegmentInfo> chooseSegments(List<WalSegmentInfo> segments, SnapshotInfo snapshot,
			RestoreOptions options) {
		List<WalSegmentInfo> chosen = new ArrayList<>();
		for (WalSegmentInfo s : segments) {
			if (s.index() < snapshot.index()) {
				continue;
			}
			if (options.timestamp() != null && s.createdAt().isAfter(options.timestamp())) {
				break;
			}
			if (options.index() >= 0 && s.index() > options.index()) {
				break;
			}
			Pos upTo = options.upToPosition();
			if (upTo != null && s.index() == upTo.index() && s.offset() >= upTo.offset()) {
				// Segments end at commit boundaries: those starting at or after the position hold later commits.
				break;
			}
			chosen.add(s);
		}
		return chosen;
	}

	private void check(RestorePlan plan, RestoreOptions options) {
		long expected = plan.snapshot().index();
		for (Map.Entry<Long, List<WalSegmentInfo>> entry : plan.segmentsByIndex().entrySet()) {
			long index = entry.getKey();
			if (index != expected) {
				throw new LitestreamException("missing WAL index " + ReplicaPaths.formatIndex(expected) + " of generation "
						+ plan.generation() + " in " + this.client.describe() + " (next present is "
						+ ReplicaPaths.formatIndex(index) + "): the replica has a hole and cannot be restored past it");
			}
			WalSegmentInfo first = entry.getValue().get(0);
			if (first.offset() != 0) {
				throw new LitestreamException("missing WAL segment "
						+ ReplicaPaths.walSegmentPath("", plan.generation(), index, 0) + " in " + this.client.describe()
						+ " (index " + ReplicaPaths.formatIndex(index) + " starts at offset " + first.offset() + ")");
			}
			expected = index + 1;
		}
		if (options.index() >= 0 && plan.lastIndex() < options.index()) {
			throw new LitestreamException("WAL index " + ReplicaPaths.formatIndex(options.index())
					+ " not found in generation " + plan.generation() + " of " + this.client.describe()
					+ " (highest is " + ReplicaPaths.formatIndex(plan.lastIndex()) + ")");
		}
	}

	private static Instant min(Instant a, Instant b) {
		return (a == null || b.isBefore(a)) ? b : a;
	}

	private static Instant max(Instant a, Instant b) {
		return (a == null || b.isAfter(a)) ? b : a;
	}

}
