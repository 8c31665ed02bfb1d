package io.github.litestreamspring.engine.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

import io.github.litestreamspring.engine.LeaseObject;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

/**
 * A real replica client with a seam: every call goes to {@code delegate}, and a test overrides the
 * one call it wants to fail or follow (a snapshot upload that breaks, an object timestamp it sets).
 * Not a mock: the objects are written to the real storage behind it.
 */
public class DelegatingReplicaClient implements ReplicaClient {

	protected final ReplicaClient delegate;

	public DelegatingReplicaClient(ReplicaClient delegate) {
		this.delegate = delegate;
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
	public List<WalSegmentInfo> walSegments(String generation) throws IOException {
		return this.delegate.walSegments(generation);
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
	public void close() throws IOException {
		this.delegate.close();
	}

}
