package io.github.litestreamspring.engine.replication;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestorePlan;
import io.github.litestreamspring.engine.restore.Restorer;

/**
 * Whether an instance whose application is not writing because it has no lease (it handed the lease
 * over, lost it, or started while the store was unreachable) may take the lease and let writes resume:
 * only while the replica ends within this instance's history — the generation a restore would pick is
 * the local one, and it holds nothing at or after the local position (no later segment, no later
 * snapshot). Once another instance wrote anything, this instance's database lacks it; writing on would
 * fork the history or bury the other writes in an older generation, so it stays read-only until a
 * restart restores the replica.
 */
final class TakeBack {

	private TakeBack() {
	}

	/** @param local the local database's position ({@link Pos#NONE} for one that never replicated) */
	static boolean replicaEndsWithin(ReplicaClient client, Pos local) throws IOException {
		Optional<RestorePlan> latest = new Restorer(client).plan(RestoreOptions.latest(Path.of("take-back-check")));
		if (latest.isEmpty()) {
			// Nothing restorable: nobody's writes could be buried.
			return true;
		}
		if (local == null || local.isNone() || !latest.get().generation().equals(local.generation())) {
			return false;
		}
		for (SnapshotInfo s : client.snapshots(local.generation())) {
			if (s.index() > local.index()) {
				return false;
			}
		}
		for (WalSegmentInfo s : client.walSegments(local.generation())) {
			if (s.pos().compareTo(local) >= 0) {
				return false;
			}
		}
		return true;
	}

}
