package io.github.litestreamspring.engine.lease;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

import io.github.litestreamspring.engine.CompactedWalInfo;
import io.github.litestreamspring.engine.GuardedWrites;
import io.github.litestreamspring.engine.LeaseObject;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.replica.DelegatingReplicaClient;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.WriteGuard;

/**
 * Enforces the single-writer guard on a replica client: with a {@link WriteGuard} set, every write or
 * delete of Litestream's objects asks it first, so no code path (shipping, snapshots, retention) can
 * touch the replica without holding its lease; it is asked again on every read of the data being
 * written (a long snapshot stops within one buffer of the guard's refusal), and a store client that
 * implements {@link GuardedWrites} gets the guard too and asks it before each request it sends. The
 * lease calls themselves are not guarded.
 */
public final class FencedReplicaClient extends DelegatingReplicaClient {


	/** The store client's own in-request checks, or {@code null} when it has none. */
	private final GuardedWrites inRequest;

	private volatile WriteGuard writeGuard;

	/**
	 * @param delegate the client every call goes to (e.g. an observed one)
	 * @param store the store client at the end of the chain: the guard is handed to it as well if it
	 * implements {@link GuardedWrites}
	 */
	public FencedReplicaClient(ReplicaClient delegate, ReplicaClient store) {
		super(delegate);
		this.inRequest = (store instanceof GuardedWrites guarded) ? guarded : null;
	}

	/** Sets (or, with {@code null}, removes) the guard asked before every write and delete. */
	public void setWriteGuard(WriteGuard writeGuard) {
		this.writeGuard = writeGuard;
		if (this.inRequest != null) {
			this.inRequest.setWriteGuard(writeGuard);
		}
	}

	/** {@code data}, asking the guard before each read: a long write stops soon after a refusal. */
	private InputStream guarded(InputStream data) {
		WriteGuard guard = this.writeGuard;
		if (guard == null) {
			return data;
		}
		return new FilterInputStream(data) {

			@Override
			public int read() throws IOException {
				guard.checkWrite();
				return super.read();
			}

			@Override
			public int read(byte[] b, int off, int len) throws IOException {
				guard.checkWrite();
				return super.read(b, off, len);
			}

		};
	}

	private void checkWrite() throws IOException {
		WriteGuard guard = this.writeGuard;
		if (guard != null) {
			guard.checkWrite();
		}
	}

	@Override
	public SnapshotInfo writeSnapshot(String generation, long index, InputStream data) throws IOException {
		checkWrite();
		return this.delegate.writeSnapshot(generation, index, guarded(data));
	}

	@Override
	public WalSegmentInfo writeWalSegment(Pos pos, InputStream data) throws IOException {
		checkWrite();
		return this.delegate.writeWalSegment(pos, guarded(data));
	}

	@Override
	public CompactedWalInfo writeCompactedWal(Pos start, long end, boolean sealed, InputStream data)
			throws IOException {
		checkWrite();
		return this.delegate.writeCompactedWal(start, end, sealed, guarded(data));
	}

	@Override
	public void deleteCompactedWals(List<CompactedWalInfo> wals) throws IOException {
		checkWrite();
		this.delegate.deleteCompactedWals(wals);
	}

	@Override
	public void deleteSnapshots(List<SnapshotInfo> snapshots) throws IOException {
		checkWrite();
		this.delegate.deleteSnapshots(snapshots);
	}

	@Override
	public void deleteWalSegments(List<WalSegmentInfo> segments) throws IOException {
		checkWrite();
		this.delegate.deleteWalSegments(segments);
	}

	@Override
	public void deleteGeneration(String generation) throws IOException {
		checkWrite();
		this.delegate.deleteGeneration(generation);
	}

}
