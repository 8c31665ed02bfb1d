package io.github.litestreamspring.engine.follower;

import java.io.IOException;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.WalSegmentInfo;

/**
 * Decides, with one listing per poll and no download, whether the replica moved past what the follower
 * serves. A poll lists the WAL segments of the generation served; when none starts at or after the
 * served position (nothing new), the next poll lists the generations instead, to see whether a new one
 * began (a primary starts a new generation instead of writing more to the old one, so that check is
 * needed only while the served generation stands still). So an idle follower alternates the two
 * listings and a busy one lists only WAL; a new generation is seen at most two polls after its
 * generation's last segment.
 */
final class ReplicaWatch {

	private final ReplicaClient client;

	private Set<String> knownGenerations = new HashSet<>();

	private boolean generationsNext;

	ReplicaWatch(ReplicaClient client) {
		this.client = client;
	}

	/** Remembers the generations present now (at start, and after following a new one). */
	void knowGenerations(List<String> generations) {
		this.knownGenerations = new HashSet<>(generations);
	}

	/**
	 * One listing: what changed since {@code served}.
	 * @param fromIndex the first WAL index to list (at most {@code served.index()}): what the copies need
	 */
	Change poll(Pos served, long fromIndex) throws IOException {
		if (this.generationsNext) {
			List<String> generations = this.client.generations();
			this.generationsNext = false;
			List<String> fresh = generations.stream().filter((g) -> !this.knownGenerations.contains(g)).toList();
			this.knownGenerations = new HashSet<>(generations);
			if (!fresh.isEmpty() || !generations.contains(served.generation())) {
				return new Change(Kind.NEW_GENERATION, List.of(), null, fresh);
			}
			return new Change(Kind.NONE, List.of(), null, List.of());
		}
		List<WalSegmentInfo> segments = this.client.walSegments(served.generation(), fromIndex);
		Instant oldestNew = null;
		for (WalSegmentInfo s : segments) {
			if (s.pos().compareTo(served) >= 0 && (oldestNew == null || s.createdAt().isBefore(oldestNew))) {
				oldestNew = s.createdAt();
			}
		}
		if (oldestNew == null) {
			this.generationsNext = true;
			return new Change(Kind.NONE, List.of(), null, List.of());
		}
		return new Change(Kind.WAL, segments, oldestNew, List.of());
	}

	/**
	 * Forgets {@code generations}, so that the next listing of generations reports them again (a new
	 * generation the follower could not restore yet, e.g. while the replica was unreachable).
	 */
	void forget(List<String> generations) {
		generations.forEach(this.knownGenerations::remove);
		this.generationsNext = true;
	}

	enum Kind {

		/** Nothing past the served position. */
		NONE,
		/** New WAL segments in the served generation. */
		WAL,
		/** A generation appeared (or the served one vanished): restore the newest. */
		NEW_GENERATION

	}

	/**
	 * @param kind what changed
	 * @param segments with {@link Kind#WAL}: the generation's segments from the listed index on
	 * @param oldestNew with {@link Kind#WAL}: when the oldest segment the follower does not serve yet was
	 * written
	 * @param fresh with {@link Kind#NEW_GENERATION}: the generations not seen before (the primary began one
	 * of them since; empty when the served one vanished)
	 */
	record Change(Kind kind, List<WalSegmentInfo> segments, Instant oldestNew, List<String> fresh) {

	}

}
