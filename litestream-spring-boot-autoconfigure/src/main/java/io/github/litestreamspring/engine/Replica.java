package io.github.litestreamspring.engine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.db.Database;
import io.github.litestreamspring.engine.lz4.Lz4CompressingInputStream;
import io.github.litestreamspring.engine.lz4.Lz4Frames;
import io.github.litestreamspring.engine.replica.ObservedReplicaClient;
import io.github.litestreamspring.engine.replica.Pos;
import io.github.litestreamspring.engine.replica.ReplicaClient;
import io.github.litestreamspring.engine.replica.ReplicaPaths;
import io.github.litestreamspring.engine.replica.SnapshotInfo;
import io.github.litestreamspring.engine.replica.WalSegmentInfo;
import io.github.litestreamspring.engine.wal.WalFrameHeader;
import io.github.litestreamspring.engine.wal.WalHeader;

/**
 * Ships one database's shadow WAL to one replica (Litestream's {@code Replica}).
 * <p>
 * The replica position is where the next WAL segment starts. It is learnt from the replica itself
 * whenever the generation changes (at start-up, after an error, on a new generation): the highest
 * snapshot, then the end of the highest WAL segment. It then only advances by what was uploaded, so
 * segments are contiguous; after any error it is forgotten and recomputed. Not thread-safe: the
 * {@link Replicator} calls it from its replication thread (the local pass may run beside it; the
 * replica reads the shadow WAL only up to the database's position).
 */
public final class Replica {

	private static final Logger logger = LoggerFactory.getLogger(Replica.class);

	private final ReplicaOptions options;

	private final ReplicaClient client;

	private volatile Pos position = Pos.NONE;

	private volatile ReplicationListener listener = ReplicationListener.NONE;

	public Replica(ReplicaOptions options, ReplicaClient client) {
		this.options = options;
		// Every storage call, for shipping and for restores through client(), reaches the listener.
		this.client = new ObservedReplicaClient(client, (operation) -> this.listener.onStorageOperation(this, operation));
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
	}

	/**
	 * Uploads everything the shadow WAL holds beyond the replica position, taking a snapshot first if
	 * the current generation has none in this replica.
	 * @return uncompressed WAL bytes uploaded
	 */
	long sync(Database db) throws IOException {
		Pos local = db.position();
		if (local.isNone()) {
			return 0;
		}
		if (!local.generation().equals(this.position.generation())) {
			if (this.client.snapshots(local.generation()).isEmpty()) {
				snapshot(db);
				return 0;
			}
			this.position = calcPosition(local.generation());
			logger.info("{}: replica '{}' ({}) of generation {} is at {}", db.path(), name(), this.client.describe(),
					local.generation(), this.position);
		}
		try {
			return ship(db);
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
	 * Uploads a snapshot of the database at its current shadow index. Every WAL frame the snapshot can
	 * contain is shipped first, so a point-in-time restore that picks this snapshot never needs a WAL
	 * segment uploaded after it.
	 */
	public SnapshotInfo snapshot(Database db) throws IOException {
		return db.withSnapshot((pos, file) -> {
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
			long started = System.nanoTime();
			try (Lz4CompressingInputStream compressed = new Lz4CompressingInputStream(file)) {
				SnapshotInfo written = this.client.writeSnapshot(pos.generation(), pos.index(), compressed);
				long nanos = System.nanoTime() - started;
				logger.info("{}: snapshot written to replica '{}': generation {} index {}, {} MB in {} ms ({} MB/s)",
						db.path(), name(), pos.generation(), ReplicaPaths.formatIndex(pos.index()),
						mb(compressed.uncompressedBytes()), nanos / 1_000_000,
						mbPerSecond(compressed.uncompressedBytes(), nanos));
				this.listener.onSnapshot(this, written, compressed.uncompressedBytes(), nanos);
				return written;
			}
		});
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
			if (local.isNone() || !local.generation().equals(pos.generation()) || pos.index() > local.index()) {
				return shipped;
			}
			long size = db.shadowWalSize(pos.generation(), pos.index());
			if (size < 0) {
				throw new MissingShadowWalException(pos);
			}
			if (pos.offset() > size) {
				db.resetGeneration("replica '" + name() + "' is at " + pos + " but the local shadow WAL ends at "
						+ size);
				throw new IOException("replica position " + pos + " is ahead of the local shadow WAL (" + size + ")");
			}
			long end = (pos.index() == local.index()) ? Math.min(size, local.offset()) : size;
			if (pos.offset() < end) {
				shipped += uploadSegment(db, pos, end);
				continue;
			}
			if (pos.index() < local.index() && db.shadowWalSize(pos.generation(), pos.index() + 1) >= 0) {
				this.position = new Pos(pos.generation(), pos.index() + 1, 0);
				continue;
			}
			return shipped;
		}
	}

	/** Uploads one segment from {@code pos} up to {@code end} (capped); returns the bytes uploaded. */
	private long uploadSegment(Database db, Pos pos, long end) throws IOException {
		long started = System.nanoTime();
		int frameSize = 24 + db.pageSize();
		long limit = Math.max(frameSize, this.options.maxSegmentBytes() / frameSize * frameSize);
		long stop = Math.min(end, (pos.offset() == 0) ? WalHeader.SIZE + limit : pos.offset() + limit);
		ByteArrayOutputStream compressed = new ByteArrayOutputStream();
		try (FileChannel ch = FileChannel.open(db.shadowWalPath(pos.generation(), pos.index()), StandardOpenOption.READ);
				OutputStream out = Lz4Frames.compressingStream(compressed)) {
			WalHeader header = readHeader(ch);
			long offset = pos.offset();
			if (offset == 0) {
				out.write(header.toBytes());
				offset = WalHeader.SIZE;
			}
			ByteBuffer frame = ByteBuffer.allocate(frameSize);
			while (offset < stop) {
				frame.clear();
				while (frame.hasRemaining()) {
					if (ch.read(frame, offset + frame.position()) < 0) {
						throw new IOException("shadow WAL " + pos + " ended at " + (offset + frame.position()));
					}
				}
				WalFrameHeader fh = WalFrameHeader.parse(frame.array(), 0);
				if (fh.salt1() != header.salt1() || fh.salt2() != header.salt2()) {
					throw new IOException("replica salt mismatch in shadow WAL " + pos + " at offset " + offset);
				}
				out.write(frame.array());
				offset += frameSize;
			}
		}
		long length = stop - pos.offset();
		WalSegmentInfo info = this.client.writeWalSegment(pos, new ByteArrayInputStream(compressed.toByteArray()));
		this.position = new Pos(pos.generation(), pos.index(), stop);
		long nanos = System.nanoTime() - started;
		logger.debug("{}: WAL segment {} ({} bytes) written to replica '{}'", db.path(), pos, length, name());
		this.listener.onWalSegment(this, info, length, nanos);
		return length;
	}

	private static WalHeader readHeader(FileChannel ch) throws IOException {
		ByteBuffer buf = ByteBuffer.allocate(WalHeader.SIZE);
		while (buf.hasRemaining()) {
			if (ch.read(buf, buf.position()) < 0) {
				throw new IOException("shadow WAL header is incomplete");
			}
		}
		return WalHeader.parse(buf.array(), 0);
	}

	/**
	 * The replica's position in a generation: the end of its highest WAL segment at or above its highest
	 * snapshot, found by reading that segment's uncompressed length.
	 */
	Pos calcPosition(String generation) throws IOException {
		List<SnapshotInfo> snapshots = this.client.snapshots(generation);
		if (snapshots.isEmpty()) {
			throw new IOException("no snapshot in generation " + generation + " of " + this.client.describe());
		}
		long snapshotIndex = snapshots.get(snapshots.size() - 1).index();
		List<WalSegmentInfo> segments = this.client.walSegments(generation);
		WalSegmentInfo last = segments.isEmpty() ? null : segments.get(segments.size() - 1);
		if (last == null || last.index() < snapshotIndex) {
			return new Pos(generation, snapshotIndex, 0);
		}
		long length;
		try (InputStream in = Lz4Frames.decompressingStream(this.client.openWalSegment(last.pos()))) {
			length = in.transferTo(OutputStream.nullOutputStream());
		}
		return new Pos(generation, last.index(), last.offset() + length);
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
