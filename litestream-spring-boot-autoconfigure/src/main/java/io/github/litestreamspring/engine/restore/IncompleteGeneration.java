package io.github.litestreamspring.engine.restore;

import java.time.Instant;

/**
 * A generation with WAL segments but no snapshot, newer than the one a restore chose: what a crash or a
 * failed upload during a generation's first snapshot leaves. It cannot be restored, so the restore fell
 * back past it; callers report it (log, health, {@code verify}), since its commits are not in the restore.
 *
 * @param generation the generation's name
 * @param updatedAt the time of its newest WAL segment
 * @param walSegments how many WAL segments it holds
 */
public record IncompleteGeneration(String generation, Instant updatedAt, int walSegments) {

	/** For messages: "generation X (N WAL segments up to T, no snapshot)". */
	public String describe() {
		return "generation " + this.generation + " (" + this.walSegments + " WAL segments up to " + this.updatedAt
				+ ", no snapshot)";
	}

}
