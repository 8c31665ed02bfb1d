package io.github.litestreamspring.engine.follower;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;

import io.github.litestreamspring.engine.CompactedWalInfo;
import io.github.litestreamspring.engine.LeaseObject;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.replica.DelegatingReplicaClient;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

/**
 * The replica as a follower sees it: read-only (every write, delete and lease change is refused, so a
 * follower never changes the replica path whatever code runs with it), and each WAL segment downloaded
 * once. A catch-up applies the index it resumes in again from offset 0, and the two copies are brought
 * forward one after the other from the same segments, so the compressed segments of the indexes still
 * needed are kept in {@code follower/segments/} ({@link #prune}): each object is read from the replica
 * once, whatever the number of applies.
 */
final class FollowerReplicaClient extends DelegatingReplicaClient {


	private final Path cacheDir;

	FollowerReplicaClient(ReplicaClient replica, Path cacheDir) {
		super(replica);
		this.cacheDir = cacheDir;
	}

	ReplicaClient replica() {
		return this.delegate;
	}

	@Override
	public InputStream openWalSegment(Pos pos) throws IOException {
		Path cached = cached(pos);
		if (!Files.exists(cached)) {
			Files.createDirectories(this.cacheDir);
			Path tmp = cached.resolveSibling(cached.getFileName() + ".tmp-" + Thread.currentThread().getId());
			try (InputStream in = this.delegate.openWalSegment(pos)) {
				Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
				Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
			}
			finally {
				Files.deleteIfExists(tmp);
			}
		}
		return Files.newInputStream(cached);
	}

	/** Drops the cached segments of other generations and of indexes below {@code lowestIndex}. */
	void prune(String generation, long lowestIndex) throws IOException {
		if (!Files.isDirectory(this.cacheDir)) {
			return;
		}
		try (DirectoryStream<Path> files = Files.newDirectoryStream(this.cacheDir)) {
			for (Path file : files) {
				String[] parts = file.getFileName().toString().split("[_.]");
				boolean keep = parts.length >= 3 && parts[0].equals(generation)
						&& Long.parseLong(parts[1], 16) >= lowestIndex && !file.toString().contains(".tmp-");
				if (!keep) {
					Files.deleteIfExists(file);
				}
			}
		}
		catch (RuntimeException ex) {
			throw new IOException("cannot prune the segment cache " + this.cacheDir + ": " + ex.getMessage(), ex);
		}
	}

	/** Removes the cache (a promotion). */
	void clear() throws IOException {
		prune("", Long.MAX_VALUE);
		Files.deleteIfExists(this.cacheDir);
	}

	private Path cached(Pos pos) {
		return this.cacheDir.resolve(pos.generation() + "_" + ReplicaPaths.formatIndex(pos.index()) + "_"
				+ ReplicaPaths.formatIndex(pos.offset()) + ".wal.lz4");
	}

	@Override
	public SnapshotInfo writeSnapshot(String generation, long index, InputStream data) throws IOException {
		throw refused("write snapshot " + ReplicaPaths.snapshotPath("", generation, index));
	}

	@Override
	public WalSegmentInfo writeWalSegment(Pos pos, InputStream data) throws IOException {
		throw refused("write WAL segment " + pos);
	}

	@Override
	public void deleteSnapshots(List<SnapshotInfo> snapshots) throws IOException {
		throw refused("delete snapshots");
	}

	@Override
	public void deleteWalSegments(List<WalSegmentInfo> segments) throws IOException {
		throw refused("delete WAL segments");
	}

	@Override
	public void deleteGeneration(String generation) throws IOException {
		throw refused("delete generation " + generation);
	}

	@Override
	public CompactedWalInfo writeCompactedWal(Pos start, long end, boolean sealed, InputStream data)
			throws IOException {
		throw refused("write compacted WAL " + ReplicaPaths.compactedWalName(start.index(), start.offset(), end, sealed));
	}

	@Override
	public void deleteCompactedWals(List<CompactedWalInfo> wals) throws IOException {
		throw refused("delete compacted WAL");
	}

	@Override
	public String createLease(byte[] content) throws IOException {
		throw refused("create the lease");
	}

	@Override
	public String replaceLease(String etag, byte[] content) throws IOException {
		throw refused("replace the lease");
	}

	private UnsupportedOperationException refused(String what) {
		return new UnsupportedOperationException("a follower never writes to its replica: refused to " + what + " in "
				+ this.delegate.describe() + "; promote it to a primary first");
	}

}
