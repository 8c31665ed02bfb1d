package io.github.litestreamspring.engine.replication;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

import io.github.litestreamspring.engine.db.Database;
import io.github.litestreamspring.engine.lz4.Lz4Frames;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

/**
 * Learns where a replica stands in a generation (Litestream's {@code calcPos}) and whether what it
 * holds there is the local history.
 * <p>
 * The position is the end of the highest WAL segment at or above the highest snapshot, found by
 * downloading that segment. While it streams by, its bytes are compared with the local shadow WAL at
 * the same range (as far as the shadow still holds it, and never past the local position, beyond which
 * a frame may be half copied): the shadow WAL is a byte-exact copy of what was shipped, so any
 * difference means the local history is not the one the replica holds (a volume or VM rolled back, a
 * restored backup of the database directory, page cache lost in a power cut). Litestream skips this
 * check and appends the new history's frames to the old one's index.
 */
final class ReplicaHistory {

	private static final int CHUNK = 64 * 1024;

	/**
	 * @param position where the next segment starts
	 * @param snapshotIndex the index of the generation's highest snapshot
	 * @param divergence why the replica is not the local history, or {@code null} if nothing showed it
	 */
	record Learnt(Pos position, long snapshotIndex, String divergence) {
	}

	private ReplicaHistory() {
	}

	static Learnt learn(ReplicaClient client, Database db, String generation, List<SnapshotInfo> snapshots)
			throws IOException {
		if (snapshots.isEmpty()) {
			throw new IOException("no snapshot in generation " + generation + " of " + client.describe());
		}
		long snapshotIndex = snapshots.get(snapshots.size() - 1).index();
		List<WalSegmentInfo> segments = client.walSegments(generation);
		WalSegmentInfo last = segments.isEmpty() ? null : segments.get(segments.size() - 1);
		if (last == null || last.index() < snapshotIndex) {
			return new Learnt(new Pos(generation, snapshotIndex, 0), snapshotIndex, null);
		}
		Pos local = db.position();
		long comparable = -1;
		if (generation.equals(local.generation()) && last.index() <= local.index()) {
			long size = db.shadowWalSize(generation, last.index());
			comparable = (last.index() == local.index()) ? Math.min(size, local.offset()) : size;
		}
		long length = 0;
		long differsAt = -1;
		try (InputStream in = Lz4Frames.decompressingStream(client.openWalSegment(last.pos()));
				FileChannel shadow = openShadow(db, generation, last.index(), comparable)) {
			byte[] remote = new byte[CHUNK];
			ByteBuffer mine = ByteBuffer.allocate(CHUNK);
			int n;
			while ((n = in.readNBytes(remote, 0, CHUNK)) > 0) {
				long at = last.offset() + length;
				if (shadow != null && differsAt < 0 && at < comparable) {
					int m = (int) Math.min(n, comparable - at);
					mine.clear().limit(m);
					while (mine.hasRemaining() && shadow.read(mine, at + mine.position()) >= 0) {
						// read the whole range
					}
					int mismatch = Arrays.mismatch(remote, 0, m, mine.array(), 0, mine.position());
					if (mismatch >= 0) {
						differsAt = at + mismatch;
					}
				}
				length += n;
			}
		}
		Pos position = new Pos(generation, last.index(), last.offset() + length);
		String divergence = (differsAt < 0) ? null
				: "its WAL segment " + last.pos() + " differs from the local shadow WAL at offset " + differsAt;
		return new Learnt(position, snapshotIndex, divergence);
	}

	private static FileChannel openShadow(Database db, String generation, long index, long comparable)
			throws IOException {
		if (comparable <= 0) {
			return null;
		}
		try {
			return FileChannel.open(db.shadowWalPath(generation, index), StandardOpenOption.READ);
		}
		catch (NoSuchFileException ex) {
			return null; // pruned meanwhile: nothing to compare with
		}
	}

}
