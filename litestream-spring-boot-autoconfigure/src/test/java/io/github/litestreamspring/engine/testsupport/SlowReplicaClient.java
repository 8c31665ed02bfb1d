package io.github.litestreamspring.engine.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;

import io.github.litestreamspring.engine.replica.DelegatingReplicaClient;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

/**
 * A real replica client whose snapshot and WAL segment writes each take at least {@code delay}: a slow
 * store, or a long way to it. Reads, deletes and lease calls go through at full speed.
 */
public final class SlowReplicaClient extends DelegatingReplicaClient {

	private volatile Duration delay;

	public SlowReplicaClient(ReplicaClient delegate, Duration delay) {
		super(delegate);
		this.delay = delay;
	}

	/** Changes the delay of the writes that start from now on. */
	public void setDelay(Duration delay) {
		this.delay = delay;
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
