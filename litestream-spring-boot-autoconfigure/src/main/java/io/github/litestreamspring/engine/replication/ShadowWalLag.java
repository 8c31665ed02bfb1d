package io.github.litestreamspring.engine.replication;

import java.io.IOException;

import io.github.litestreamspring.engine.db.Database;
import io.github.litestreamspring.engine.Pos;

/** How far behind a replica is, in WAL bytes, from the shadow WAL files on local disk. */
final class ShadowWalLag {

	private static final long MAX_INDEXES = 1000;

	/**
	 * WAL bytes between a replica position and the local one: the rest of the replica's index, every
	 * index in between, and the local index up to its offset. In another generation (or none), the whole
	 * local generation still on disk. Shadow files already pruned count as zero, and at most the last
	 * {@value #MAX_INDEXES} indexes are summed (status is read often), so it is a lower bound.
	 */
	static long bytes(Database database, Pos local, Pos replica) {
		if (local.isNone() || replica == null || local.equals(replica)) {
			return 0;
		}
		try {
			boolean sameGeneration = !replica.isNone() && local.generation().equals(replica.generation());
			if (sameGeneration && replica.index() == local.index()) {
				return Math.max(0, local.offset() - replica.offset());
			}
			long from = Math.max(sameGeneration ? replica.index() : 0, local.index() - MAX_INDEXES);
			long bytes = 0;
			for (long index = from; index < local.index(); index++) {
				long size = database.shadowWalSize(local.generation(), index);
				bytes += Math.max(0, size - ((sameGeneration && index == replica.index()) ? replica.offset() : 0));
			}
			return bytes + local.offset();
		}
		catch (IOException ex) {
			return local.offset();
		}
	}

	private ShadowWalLag() {
	}

}
