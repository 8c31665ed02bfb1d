package io.github.litestreamspring.engine.replica;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

import io.github.litestreamspring.engine.CompactedWalInfo;
import io.github.litestreamspring.engine.LeaseObject;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

/**
 * A replica client that sends every call to another one: the base of the decorators that change a
 * few calls (the lease's fence, observation, a follower's read-only cache) and of tests' seams. A call
 * added to {@link ReplicaClient} is forwarded here once, so that no decorator falls back to a default
 * that bypasses its delegate's own version (e.g. a listing from a key).
 */
public class DelegatingReplicaClient implements ReplicaClient {

	protected final ReplicaClient delegate;

	public DelegatingReplicaClient(ReplicaClient delegate) {
		this.delegate = delegate;
	}

	/** The client every call goes to. */
	public ReplicaClient delegate() {
		return this.delegate;
	}

	@Override
	public String type() {
		return this.delegate.type();
	}

	@Override
	public String describe() {
		return this.delegate.describe();
	}

	@Override
	public List<String> generations() throws IOException {
		return this.delegate.generations();
	}

	@Override
	public List<SnapshotInfo> snapshots(String generation) throws IOException {
		return this.delegate.snapshots(generation);
	}

	@Override
	public Optional<SnapshotInfo> snapshot(String generation, long index) throws IOException {
		return this.delegate.snapshot(generation, index);
	}

	@Override
	public List<WalSegmentInfo> walSegmentsInIndex(String generation, long index) throws IOException {
		return this.delegate.walSegmentsInIndex(generation, index);
	}

	@Override
	public List<CompactedWalInfo> compactedWals(String generation) throws IOException {
		return this.delegate.compactedWals(generation);
	}

	@Override
	public CompactedWalInfo writeCompactedWal(Pos start, long end, boolean sealed, InputStream data)
			throws IOException {
		return this.delegate.writeCompactedWal(start, end, sealed, data);
	}

	@Override
	public InputStream openCompactedWal(CompactedWalInfo wal) throws IOException {
		return this.delegate.openCompactedWal(wal);
	}

	@Override
	public void deleteCompactedWals(List<CompactedWalInfo> wals) throws IOException {
		this.delegate.deleteCompactedWals(wals);
	}

	@Override
	public List<WalSegmentInfo> walSegments(String generation) throws IOException {
		return this.delegate.walSegments(generation);
	}

	@Override
	public List<WalSegmentInfo> walSegments(String generation, long fromIndex) throws IOException {
		return this.delegate.walSegments(generation, fromIndex);
	}

	@Override
	public SnapshotInfo writeSnapshot(String generation, long index, InputStream data) throws IOException {
		return this.delegate.writeSnapshot(generation, index, data);
	}

	@Override
	public WalSegmentInfo writeWalSegment(Pos pos, InputStream data) throws IOException {
		return this.delegate.writeWalSegment(pos, data);
	}

	@Override
	public InputStream openSnapshot(String generation, long index) throws IOException {
		return this.delegate.openSnapshot(generation, index);
	}

	@Override
	public InputStream openWalSegment(Pos pos) throws IOException {
		return this.delegate.openWalSegment(pos);
	}

	@Override
	public void deleteSnapshots(List<SnapshotInfo> snapshots) throws IOException {
		this.delegate.deleteSnapshots(snapshots);
	}

	@Override
	public void deleteWalSegments(List<WalSegmentInfo> segments) throws IOException {
		this.delegate.deleteWalSegments(segments);
	}

	@Override
	public void deleteGeneration(String generation) throws IOException {
		this.delegate.deleteGeneration(generation);
	}

	@Override
	public Optional<LeaseObject> readLease() throws IOException {
		return this.delegate.readLease();
	}

	@Override
	public String createLease(byte[] content) throws IOException {
		return this.delegate.createLease(content);
	}

	@Override
	public String replaceLease(String etag, byte[] content) throws IOException {
		return this.delegate.replaceLease(etag, content);
	}

	@Override
	public boolean honoursConditionalWrites() throws IOException {
		return this.delegate.honoursConditionalWrites();
	}

	@Override
	public void close() throws IOException {
		this.delegate.close();
	}

	@Override
	public String toString() {
		return this.delegate.toString();
	}

}
