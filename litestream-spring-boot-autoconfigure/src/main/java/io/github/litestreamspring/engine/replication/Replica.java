package io.github.litestreamspring.engine.replication;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.lease.FencedReplicaClient;
import io.github.litestreamspring.engine.lease.LeasedReplica;
import io.github.litestreamspring.engine.db.CheckpointMode;
import io.github.litestreamspring.engine.db.Database;
import io.github.litestreamspring.engine.lz4.Lz4CompressingInputStream;
import io.github.litestreamspring.engine.replica.ObservedReplicaClient;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.WriteGuard;
import io.github.litestreamspring.engine.wal.WalFrameHeader;
import io.github.litestreamspring.engine.wal.WalHeader;

/**
 * Ships one database's shadow WAL to one replica (Litestream's {@code Replica}).
 * <p>
 * The replica position is where the next WAL segment starts. It is learnt from the replica itself
 * whenever the generation changes (at start-up, after an error, on a new generation): the highest
 * snapshot, then the end of the highest WAL segment. It then only advances by what was uploaded, so
 * segments are contiguous; after any error it is forgotten and recomputed. Learning it also checks
 * that the replica holds the local history ({@link ReplicaHistory}); one that does not starts a new
 * generation.
 *
 * <h2>Snapshots and point-in-time restore</h2>
 * A snapshot at position {@code p} of index {@code I} may hold pages of index {@code I}'s frames up to
 * {@code p} (a PASSIVE checkpoint back-fills before it is taken). Restore, ours and Litestream's, takes
 * it and applies index {@code I}'s segments from offset 0 up to the first one newer than the target.
 * A prefix of index {@code I} that ends before {@code p} would put older page versions over newer ones,
 * so no timestamp may select one:
 * <ul>
 * <li>A generation's <b>first</b> snapshot goes up before any of its WAL (so no crash leaves WAL
 * without a snapshot), then index {@code I} from offset 0 to the shadow WAL's end (at least {@code p})
 * in <b>one</b> segment, streamed whatever its size ({@link #unsplitIndex}). Before that segment's
 * timestamp the snapshot alone restores (the state at {@code p}); after it, the whole segment is
 * applied. Every later segment starts after {@code p}.</li>
 * <li><b>Later</b> snapshots go up after every frame they can contain, at an index that has no
 * snapshot yet (a RESTART checkpoint starts one): the generation already has a snapshot, and a restore
 * that picks the new one applies all of the older WAL before it. No snapshot object is ever
 * replaced.</li>
 * </ul>
 * The alternative, a first snapshot taken right after a WAL restart (holding no frame of its index),
 * would need the checkpoint to succeed while readers may block it, and a fallback when it cannot.
 * <p>
 * Not thread-safe: the {@link Replicator} calls it from its replication thread (the local pass may run
 * beside it; the replica reads the shadow WAL only up to the database's position).
 */
public final class Replica implements LeasedReplica {

	private static final Logger logger = LoggerFactory.getLogger(Replica.class);

	private final ReplicaOptions options;

	/** Every call of {@link #client()}: fenced by the lease's write guard, then observed. */
	private final FencedReplicaClient client;

	private volatile Pos position = Pos.NONE;

	/**
	 * The index whose segment from offset 0 is shipped as one object, whatever its size: the index of
	 * a snapshot uploaded before that segment ({@link #firstSnapshot}); -1 for none.
	 */
	private long unsplitIndex = -1;

	private volatile ReplicationListener listener = ReplicationListener.NONE;

	private final WalCompaction compaction = new WalCompaction();

	public Replica(ReplicaOptions options, ReplicaClient client) {
		this.options = options;
		// Every storage call, for shipping and for restores through client(), reaches the listener.
		this.client = new FencedReplicaClient(
				new ObservedReplicaClient(client, (operation) -> this.listener.onStorageOperation(this, operation)),
				client);
	}

	public String name() {
		return this.options.name();
	}

	public ReplicaOptions options() {
		return this.options;
	}

	public ReplicaClient client() {
		return this.client;
	}

	@Override
	public void setWriteGuard(WriteGuard guard) {
		this.client.setWriteGuard(guard);
	}

	/** Where the next segment will start; {@link Pos#NONE} until known. */
	public Pos position() {
		return this.position;
	}

	void setListener(ReplicationListener listener) {
		this.listener = (listener != null) ? listener : ReplicationListener.NONE;
	}

	/** Forgets the position; the next sync recomputes it from the replica. */
	void resetPosition() {
		this.position = Pos.NONE;
		this.unsplitIndex = -1;
	}

	/**
	 * Uploads everything the shadow WAL holds beyond the replica position, taking the generation's
	 * first snapshot if this replica has none of it yet.
	 * @return uncompressed WAL bytes uploaded
	 */
	public long sync(Database db) throws IOException {
		Pos local = db.position();
		if (local.isNone()) {
			return 0;
		}
		if (!local.generation().equals(this.position.generation())) {
			List<SnapshotInfo> snapshots = this.client.snapshots(local.generation());
			if (snapshots.isEmpty()) {
				firstSnapshot(db, local.generation());
				return ship(db);
			}
			learnPosition(db, local.generation(), snapshots);
			logger.info("{}: replica '{}' ({}) of generation {} is at {}", db.path(), name(), this.client.describe(),
					local.generation(), this.position);
		}
		try {
			long shipped = ship(db);
			this.compaction.writePending(db, this.client, name());
			return shipped;
		}
		catch (MissingShadowWalException ex) {
			// The local shadow WAL no longer has the index the replica needs next: continue from a snapshot.
			logger.warn("{}: replica '{}' needs {} which is no longer on local disk; taking a snapshot", db.path(),
					name(), ex.position);
			snapshot(db);
			return 0;
		}
	}

	/**
	 * Learns the replica's position in {@code generation} and checks that it is the local history: a
	 * replica ahead of the local position, or holding other bytes than the shadow WAL at the same place,
	 * starts a new generation.
	 */
	private void learnPosition(Database db, String generation, List<SnapshotInfo> snapshots) throws IOException {
		ReplicaHistory.Learnt learnt = ReplicaHistory.learn(this.client, db, generation, snapshots);
		Pos local = db.position();
		if (learnt.divergence() != null) {
			throw diverged(db, learnt.position(), local, learnt.divergence());
		}
		if (generation.equals(local.generation()) && learnt.position().compareTo(local) > 0) {
			// Everything ever shipped came from the shadow WAL up to the local position, and a restart
			// keeps the shadow WAL (up to its last commit): a replica beyond it holds frames we lost.
			throw diverged(db, learnt.position(), local, "it is ahead of the local position");
		}
		this.position = learnt.position();
		// A segment that starts the index of a snapshot already uploaded must reach the snapshot's
		// position in one object (see firstSnapshot); after a restart that position is unknown, so the
		// whole index as the shadow WAL holds it now goes in one.
		this.unsplitIndex = (this.position.offset() == 0) ? this.position.index() : -1;
	}

	/**
	 * The replica holds a history the local database does not (a volume or VM rolled back, an old
	 * backup of the database directory put back, writes lost in a power cut): continuing would write
	 * the local frames into the same generation after frames of another history, and the latest state
	 * would no longer restore. Starts a new generation instead, loudly.
	 */
	private IOException diverged(Database db, Pos replicaPos, Pos local, String why) {
		String message = "replica '" + name() + "' (" + this.client.describe() + ") is at " + replicaPos
				+ " but the local database is at " + local + ": " + why + "; the local history is not the "
				+ "replica's (rolled-back volume, restored files or lost writes)";
		db.resetGeneration(message);
		this.position = Pos.NONE;
		return new IOException(message + "; a new generation starts");
	}

	/**
	 * Uploads the first snapshot of a generation, before any of its WAL, then ships the snapshot's
	 * index from offset 0 to at least the snapshot's position as one segment. So a crash or a failed
	 * upload never leaves a generation with WAL but no snapshot, and no point in time sees a prefix of
	 * the index's WAL that ends before the snapshot's position (applied over the snapshot, such a prefix
	 * would put older versions of some pages over newer ones): a restore as of a time before that
	 * segment gets the snapshot alone (the database at the snapshot's position), after it the snapshot
	 * and the whole segment (the database at the segment's end). Litestream picks segments by their
	 * timestamps in order, so this holds for its restore too. The caller ships that segment next.
	 */
	private SnapshotInfo firstSnapshot(Database db, String generation) throws IOException {
		List<WalSegmentInfo> stale = this.client.walSegments(generation);
		if (!stale.isEmpty()) {
			// Left by an upload that failed before its snapshot: no restore can use them, and the
			// segment written next would interleave with them.
			logger.warn("{}: replica '{}' holds {} WAL segment(s) of generation {} without a snapshot; deleting them "
					+ "before its first snapshot", db.path(), name(), stale.size(), generation);
			this.client.deleteWalSegments(stale);
		}
		SnapshotInfo written = db.withSnapshot((pos, file) -> upload(db, pos, file));
		this.position = new Pos(written.generation(), written.index(), 0);
		this.unsplitIndex = written.index();
		return written;
	}

	/**
	 * Uploads a snapshot of the database at a WAL index the replica has no snapshot of yet: snapshots
	 * are named by index, so writing one at an existing index would replace it and move its timestamp,
	 * losing the restore point it is. When the local index already has a snapshot a RESTART checkpoint
	 * starts a new index first. Every WAL frame the snapshot can contain is shipped before it, so a
	 * point-in-time restore that picks this snapshot never needs a segment uploaded after it (the
	 * generation's first snapshot is uploaded before its WAL instead, see {@link #firstSnapshot}).
	 * @throws IOException if no new index could be started (a long read transaction blocks the
	 * checkpoint) or the upload failed
	 */
	public SnapshotInfo snapshot(Database db) throws IOException {
		Pos local = db.position();
		if (local.isNone()) {
			throw new IOException("no local position yet: the database has not been synced");
		}
		String generation = local.generation();
		List<SnapshotInfo> snapshots = this.client.snapshots(generation);
		if (snapshots.isEmpty()) {
			SnapshotInfo written = firstSnapshot(db, generation);
			ship(db);
			return written;
		}
		long latest = snapshots.get(snapshots.size() - 1).index();
		if (local.index() <= latest) {
			db.checkpoint(CheckpointMode.RESTART);
			local = db.position();
			if (generation.equals(local.generation()) && local.index() <= latest) {
				throw new IOException("cannot start a new WAL index for a snapshot of " + db.path() + " (the "
						+ "checkpoint was blocked, probably by a long read transaction); the snapshot at index "
						+ ReplicaPaths.formatIndex(latest) + " is kept, try again");
			}
		}
		if (!generation.equals(this.position.generation())) {
			learnPosition(db, generation, snapshots);
		}
		return db.withSnapshot((pos, file) -> {
			if (!generation.equals(pos.generation()) || pos.index() <= latest) {
				throw new IOException("snapshot at " + pos + " abandoned: the generation moved on while it was staged");
			}
			Pos current = this.position;
			if (current.isNone() || !current.generation().equals(pos.generation()) || current.compareTo(pos) > 0
					|| db.shadowWalSize(current.generation(), current.index()) < 0) {
				this.position = new Pos(pos.generation(), pos.index(), 0);
			}
			ship(db);
			if (!pos.generation().equals(this.position.generation()) || this.position.compareTo(pos) < 0) {
				// The generation moved on while the snapshot was staged: its WAL can no longer be shipped.
				throw new IOException("snapshot at " + pos + " abandoned: the replica reached only " + this.position);
			}
			return upload(db, pos, file);
		});
	}

	private SnapshotInfo upload(Database db, Pos pos, InputStream file) throws IOException {
		ReplicationListener.Timing timing = this.listener.begin(ReplicationListener.Work.SNAPSHOT, this);
		try {
			SnapshotInfo written = upload(db, pos, file, System.nanoTime());
			timing.end(null);
			return written;
		}
		catch (IOException | RuntimeException ex) {
			timing.end(ex);
			throw ex;
		}
	}

	private SnapshotInfo upload(Database db, Pos pos, InputStream file, long started) throws IOException {
		try (Lz4CompressingInputStream compressed = new Lz4CompressingInputStream(file)) {
			SnapshotInfo written = this.client.writeSnapshot(pos.generation(), pos.index(), compressed);
			long nanos = System.nanoTime() - started;
			logger.info("{}: snapshot written to replica '{}': generation {} index {} at {}, {} MB in {} ms ({} MB/s)",
					db.path(), name(), pos.generation(), ReplicaPaths.formatIndex(pos.index()), pos,
					mb(compressed.uncompressedBytes()), nanos / 1_000_000,
					mbPerSecond(compressed.uncompressedBytes(), nanos));
			this.listener.onSnapshot(this, written, compressed.uncompressedBytes(), nanos);
			return written;
		}
	}

	/**
	 * Ships shadow WAL from the replica position to the database's position, index after index. Never
	 * beyond that position: the local pass may be appending to the current index meanwhile, and what
	 * lies past the position can be a partly written frame.
	 */
	private long ship(Database db) throws IOException {
		Pos local = db.position();
		long shipped = 0;
		while (true) {
			Pos pos = this.position;
			if (local.isNone() || !local.generation().equals(pos.generation())) {
				return shipped;
			}
			if (pos.index() > local.index()) {
				throw diverged(db, pos, local, "its WAL index is ahead of the local one");
			}
			long size = db.shadowWalSize(pos.generation(), pos.index());
			if (size < 0) {
				throw new MissingShadowWalException(pos);
			}
			if (pos.offset() > size) {
				throw diverged(db, pos, local, "it holds more of WAL index " + ReplicaPaths.formatIndex(pos.index())
						+ " than the local shadow WAL (" + size + " bytes)");
			}
			long end = (pos.index() == local.index()) ? Math.min(size, local.offset()) : size;
			if (pos.offset() < end) {
				shipped += uploadSegment(db, pos, end);
				continue;
			}
			if (pos.index() < local.index() && db.shadowWalSize(pos.generation(), pos.index() + 1) >= 0) {
				// Every segment of this index is on the replica: it is sealed.
				this.compaction.sealed(pos);
				this.position = new Pos(pos.generation(), pos.index() + 1, 0);
				continue;
			}
			return shipped;
		}
	}

	/**
	 * Uploads one segment from {@code pos} up to {@code end}, streamed and compressed on the way;
	 * capped at {@code maxSegmentBytes} except for the segment that starts the index of a snapshot
	 * uploaded before its WAL. Returns the bytes uploaded.
	 */
	private long uploadSegment(Database db, Pos pos, long end) throws IOException {
		long started = System.nanoTime();
		int frameSize = WalFrameHeader.SIZE + db.pageSize();
		long stop = end;
		if (pos.offset() != 0 || pos.index() != this.unsplitIndex) {
			long limit = Math.max(frameSize, this.options.maxSegmentBytes() / frameSize * frameSize);
			stop = Math.min(end, (pos.offset() == 0) ? WalHeader.SIZE + limit : pos.offset() + limit);
		}
		WalSegmentInfo info;
		try (Lz4CompressingInputStream compressed = new Lz4CompressingInputStream(
				db.readShadowWal(pos, stop))) {
			info = this.client.writeWalSegment(pos, compressed);
		}
		this.position = new Pos(pos.generation(), pos.index(), stop);
		this.compaction.shipped(pos, stop);
		long length = stop - pos.offset();
		long nanos = System.nanoTime() - started;
		logger.debug("{}: WAL segment {} ({} bytes) written to replica '{}'", db.path(), pos, length, name());
		this.listener.onWalSegment(this, info, length, nanos);
		return length;
	}

	static String mb(long bytes) {
		return String.format("%.1f", bytes / 1048576.0);
	}

	static String mbPerSecond(long bytes, long nanos) {
		return String.format("%.1f", (nanos <= 0) ? 0.0 : bytes / 1048576.0 / (nanos / 1e9));
	}

	/** The shadow WAL index the replica needs next is gone from local disk (pruned, or never there). */
	private static final class MissingShadowWalException extends IOException {

		private final Pos position;

		MissingShadowWalException(Pos position) {
			super("shadow WAL index " + position + " is missing locally");
			this.position = position;
		}

	}

	@Override
	public String toString() {
		return "Replica[" + name() + " " + this.client.describe() + " at " + this.position + "]";
	}

}
