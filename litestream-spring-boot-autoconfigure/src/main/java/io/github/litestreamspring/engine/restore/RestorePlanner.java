package io.github.litestreamspring.engine.restore;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
 */
final class RestorePlanner {

	private final ReplicaClient client;

	RestorePlanner(ReplicaClient client) {
		this.client = client;
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
			List<WalSegmentInfo> segments = this.client.walSegments(generation);
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
			if (options.timestamp() != null && options.timestamp().isBefore(createdAt)) {
				continue;
			}
			SnapshotInfo snapshot = chooseSnapshot(snapshots, options);
			if (snapshot == null) {
				continue;
			}
			boolean better = best == null || updatedAt.isAfter(best.updatedAt())
					|| (updatedAt.equals(best.updatedAt()) && createdAt.isAfter(bestCreatedAt));
			if (better) {
				best = new RestorePlan(generation, snapshot, chooseSegments(segments, snapshot, options), updatedAt);
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
