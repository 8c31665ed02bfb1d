package io.github.litestreamspring.engine;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;

import io.github.litestreamspring.engine.replica.Pos;
import io.github.litestreamspring.engine.replica.ReplicaClient;
import io.github.litestreamspring.engine.replica.SnapshotInfo;
import io.github.litestreamspring.engine.replica.WalSegmentInfo;

/**
 * Whether an instance that stopped writing to a replica (it handed its lease over, or lost it) may take
 * the lease back and write again: only while the replica still ends where this instance left it — no
 * segment at or after its last shipped position, no later snapshot, no generation begun since. Once
 * another instance wrote anything, this instance's database lacks it; writing on would fork the
 * history, so it stays read-only until a restart restores it.
 */
final class TakeBack {

	/** Store clocks and ours may differ: a generation begun this close to the stop counts as begun after it. */
	private static final Duration CLOCK_MARGIN = Duration.ofSeconds(5);

	private TakeBack() {
	}

	/**
	 * @param shipped the last position this instance shipped to the replica
	 * @param stoppedAt when this instance stopped writing (its clock)
	 */
	static boolean replicaUnchangedSince(ReplicaClient client, Pos shipped, Instant stoppedAt) throws IOException {
		if (shipped == null || shipped.isNone()) {
			return false;
		}
		Instant since = stoppedAt.minus(CLOCK_MARGIN);
		for (String generation : client.generations()) {
			if (generation.equals(shipped.generation())) {
				for (SnapshotInfo s : client.snapshots(generation)) {
					if (s.index() > shipped.index()) {
						return false;
					}
				}
				for (WalSegmentInfo s : client.walSegments(generation)) {
					if (s.pos().compareTo(shipped) >= 0) {
						return false;
					}
				}
				continue;
			}
			for (SnapshotInfo s : client.snapshots(generation)) {
				if (s.createdAt() == null || s.createdAt().isAfter(since)) {
					return false;
				}
			}
		}
		return true;
	}

}
