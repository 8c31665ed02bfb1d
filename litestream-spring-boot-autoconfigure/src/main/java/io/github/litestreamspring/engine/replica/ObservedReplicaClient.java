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
 * Reports every storage call of a replica client to an observer (request metrics: what a replica costs
 * in LIST, GET, PUT and DELETE calls), then delegates. Counts logical calls; a listing that the store
 * pages counts once.
 */
public final class ObservedReplicaClient extends DelegatingReplicaClient {

	/** Storage operation types, named as S3 bills them. */
	public enum Operation {

		LIST, GET, PUT, DELETE

	}

	/** Receives one call per storage operation. */
	@FunctionalInterface
	public interface Observer {

		void onOperation(Operation operation);

	}


	private final Observer observer;

	public ObservedReplicaClient(ReplicaClient delegate, Observer observer) {
		super(delegate);
		this.observer = observer;
	}

	public ReplicaClient delegate() {
		return this.delegate;
	}

	@Override
	public List<String> generations() throws IOException {
		this.observer.onOperation(Operation.LIST);
		return this.delegate.generations();
	}

	@Override
	public List<SnapshotInfo> snapshots(String generation) throws IOException {
		this.observer.onOperation(Operation.LIST);
		return this.delegate.snapshots(generation);
	}

	@Override
	public List<WalSegmentInfo> walSegmentsInIndex(String generation, long index) throws IOException {
		this.observer.onOperation(Operation.LIST);
		return this.delegate.walSegmentsInIndex(generation, index);
	}

	@Override
	public List<CompactedWalInfo> compactedWals(String generation) throws IOException {
		this.observer.onOperation(Operation.LIST);
		return this.delegate.compactedWals(generation);
	}

	@Override
	public CompactedWalInfo writeCompactedWal(Pos start, long end, boolean sealed, InputStream data)
			throws IOException {
		this.observer.onOperation(Operation.PUT);
		return this.delegate.writeCompactedWal(start, end, sealed, data);
	}

	@Override
	public InputStream openCompactedWal(CompactedWalInfo wal) throws IOException {
		this.observer.onOperation(Operation.GET);
		return this.delegate.openCompactedWal(wal);
	}

	@Override
	public void deleteCompactedWals(List<CompactedWalInfo> wals) throws IOException {
		this.observer.onOperation(Operation.DELETE);
		this.delegate.deleteCompactedWals(wals);
	}

	@Override
	public List<WalSegmentInfo> walSegments(String generation) throws IOException {
		this.observer.onOperation(Operation.LIST);
		return this.delegate.walSegments(generation);
	}

	@Override
	public List<WalSegmentInfo> walSegments(String generation, long fromIndex) throws IOException {
		this.observer.onOperation(Operation.LIST);
		return this.delegate.walSegments(generation, fromIndex);
	}

	@Override
	public SnapshotInfo writeSnapshot(String generation, long index, InputStream data) throws IOException {
		this.observer.onOperation(Operation.PUT);
		return this.delegate.writeSnapshot(generation, index, data);
	}

	@Override
	public WalSegmentInfo writeWalSegment(Pos pos, InputStream data) throws IOException {
		this.observer.onOperation(Operation.PUT);
		return this.delegate.writeWalSegment(pos, data);
	}

	@Override
	public InputStream openSnapshot(String generation, long index) throws IOException {
		this.observer.onOperation(Operation.GET);
		return this.delegate.openSnapshot(generation, index);
	}

	@Override
	public InputStream openWalSegment(Pos pos) throws IOException {
		this.observer.onOperation(Operation.GET);
		return this.delegate.openWalSegment(pos);
	}

	@Override
	public void deleteSnapshots(List<SnapshotInfo> snapshots) throws IOException {
		this.observer.onOperation(Operation.DELETE);
		this.delegate.deleteSnapshots(snapshots);
	}

	@Override
	public void deleteWalSegments(List<WalSegmentInfo> segments) throws IOException {
		this.observer.onOperation(Operation.DELETE);
		this.delegate.deleteWalSegments(segments);
	}

	@Override
	public void deleteGeneration(String generation) throws IOException {
		this.observer.onOperation(Operation.DELETE);
		this.delegate.deleteGeneration(generation);
	}

	@Override
	public Optional<LeaseObject> readLease() throws IOException {
		this.observer.onOperation(Operation.GET);
		return this.delegate.readLease();
	}

	@Override
	public String createLease(byte[] content) throws IOException {
		this.observer.onOperation(Operation.PUT);
		return this.delegate.createLease(content);
	}

	@Override
	public String replaceLease(String etag, byte[] content) throws IOException {
		this.observer.onOperation(Operation.PUT);
		return this.delegate.replaceLease(etag, content);
	}

	@Override
	public boolean honoursConditionalWrites() throws IOException {
		this.observer.onOperation(Operation.PUT);
		return this.delegate.honoursConditionalWrites();
	}

}
