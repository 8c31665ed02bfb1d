package io.github.litestreamspring.engine.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.github.litestreamspring.engine.replica.LeaseObject;
import io.github.litestreamspring.engine.replica.Pos;
import io.github.litestreamspring.engine.replica.ReplicaClient;
import io.github.litestreamspring.engine.replica.SnapshotInfo;
import io.github.litestreamspring.engine.replica.WalSegmentInfo;

/**
 * A real replica client whose snapshot and WAL segment writes each take at least {@code delay}: a slow
 * store, or a long way to it. Reads, deletes and lease calls go through at full speed.
 */
public final class SlowReplicaClient implements ReplicaClient {

	private final ReplicaClient delegate;

	private volatile Duration delay;

	public SlowReplicaClient(ReplicaClient delegate, Duration delay) {
		this.delegate = delegate;
		this.delay = delay;
	}

	/** Changes the delay of the writes that start from now on. */
	public void setDelay(Duration delay) {
		this.delay = delay;
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
		pause();
		return this.delegate.writeSnapshot(generation, index, data);
	}

	@Override
	public WalSegmentInfo writeWalSegment(Pos pos, InputStream data) throws IOException {
		pause();
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

	private void pause() throws IOException {
		try {
			Thread.sleep(this.delay.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("interrupted in a slow write");
		}
	}

}
