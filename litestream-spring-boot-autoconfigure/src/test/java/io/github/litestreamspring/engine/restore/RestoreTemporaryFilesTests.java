package io.github.litestreamspring.engine.restore;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.replica.DelegatingReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A restore that fails or is cancelled leaves nothing beside its output but what was there before:
 * no {@code *.tmp}, no {@code *.tmp-<index>-wal}, no {@code *.tmp-<index>-<offset>-segment} — also not
 * one that a download still running when the restore gave up writes afterwards. The WAL segments here
 * decode to several MiB each, so they go through temporary files.
 */
class RestoreTemporaryFilesTests {

	private static final int MIB = 1024 * 1024;

	@TempDir
	Path dir;

	@Test
	void aRestoreThatFailsInsideALargeSegmentLeavesOnlyWhatWasThereBefore() throws Exception {
		Path replica = this.dir.resolve("replica");
		replicate(replica);
		WalSegmentInfo big = largeSegments(replica).get(1);
		Path object = replica.resolve(ReplicaPaths.walSegmentPath("", big.generation(), big.index(), big.offset()));
		byte[] bytes = Files.readAllBytes(object);
		// Cut inside the last LZ4 block: the first block (4 MiB) decodes, reaches the segment's temporary
		// file, and only then does the segment fail.
		Files.write(object, java.util.Arrays.copyOf(bytes, bytes.length - 12));
		Path output = this.dir.resolve("out").resolve("restored.db");
		Files.createDirectories(output.getParent());
		Files.writeString(output.resolveSibling("notes.txt"), "the operator's file");

		assertThatThrownBy(() -> new Restorer(new FileReplicaClient(replica)).restore(RestoreOptions.latest(output)))
			.isInstanceOf(LitestreamException.class)
			.hasMessageContaining(ReplicaPaths.walSegmentPath("", big.generation(), big.index(), big.offset()));

		assertThat(listing(output.getParent())).containsExactly("notes.txt");
	}

	@Test
	void aCancelledRestoreWaitsForItsDownloadsAndLeavesNothingBehind() throws Exception {
		Path replica = this.dir.resolve("replica");
		replicate(replica);
		SlowWalClient client = new SlowWalClient(new FileReplicaClient(replica), Duration.ofMillis(300));
		Path output = this.dir.resolve("out").resolve("restored.db");
		ExecutorService caller = Executors.newSingleThreadExecutor();
		try {
			Future<RestoreResult> restore = caller
				.submit(() -> new Restorer(client).restore(RestoreOptions.latest(output).withParallelism(4)));
			assertThat(client.firstOpen.await(30, TimeUnit.SECONDS)).as("a WAL download started").isTrue();
			restore.cancel(true);
			caller.shutdown();
			assertThat(caller.awaitTermination(60, TimeUnit.SECONDS)).as("the restore ended").isTrue();
		}
		finally {
			caller.shutdownNow();
		}
		// Every download has ended (its stream closed) before the directory is looked at.
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
		while (client.open.get() > 0 && System.nanoTime() < deadline) {
			Thread.sleep(20);
		}
		assertThat(client.open.get()).as("downloads still open").isZero();
		assertThat(listing(output.getParent())).as("files left in %s", output.getParent()).isEmpty();
	}

	/** Three batches of large repetitive rows, each synced as its own segment decoding to over 4 MiB. */
	private void replicate(Path replica) throws Exception {
		Path db = this.dir.resolve("app.db");
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(20), Duration.ofMinutes(10))
			.withCheckpointPageCounts(10_000, 100_000, 0);
		Replica target = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(20)),
				new FileReplicaClient(replica));
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = new Replicator(options, List.of(target))) {
			replicator.start();
			app.insertBatch(0, 5, 100);
			replicator.syncNow();
			for (int batch = 1; batch <= 3; batch++) {
				app.insertBatch(batch, 1500, 4000);
				replicator.syncNow();
			}
		}
		assertThat(largeSegments(replica)).hasSizeGreaterThanOrEqualTo(2);
	}

	/** The segments that decode to over 4 MiB (next offset − own): more than one LZ4 block each. */
	private static List<WalSegmentInfo> largeSegments(Path replica) throws IOException {
		FileReplicaClient client = new FileReplicaClient(replica);
		List<WalSegmentInfo> segments = client.walSegments(client.generations().get(0));
		List<WalSegmentInfo> large = new java.util.ArrayList<>();
		for (int i = 0; i + 1 < segments.size(); i++) {
			WalSegmentInfo s = segments.get(i);
			WalSegmentInfo next = segments.get(i + 1);
			if (next.index() == s.index() && next.offset() - s.offset() > 4L * MIB) {
				large.add(s);
			}
		}
		return large;
	}

	private static List<String> listing(Path directory) throws IOException {
		if (!Files.exists(directory)) {
			return List.of();
		}
		try (Stream<Path> files = Files.list(directory)) {
			return files.map((p) -> p.getFileName().toString()).sorted().toList();
		}
	}

	/**
	 * A file replica whose WAL downloads behave like a network read that ignores interrupts: the bytes
	 * arrive {@code delay} after the request, whatever happens to the thread meanwhile.
	 */
	private static final class SlowWalClient extends DelegatingReplicaClient {

		private final Duration delay;

		final CountDownLatch firstOpen = new CountDownLatch(1);

		final AtomicInteger open = new AtomicInteger();

		SlowWalClient(FileReplicaClient delegate, Duration delay) {
			super(delegate);
			this.delay = delay;
		}

		@Override
		public InputStream openWalSegment(Pos pos) throws IOException {
			this.open.incrementAndGet();
			byte[] bytes;
			try (InputStream in = this.delegate.openWalSegment(pos)) {
				bytes = in.readAllBytes();
			}
			this.firstOpen.countDown();
			boolean interrupted = false;
			long until = System.nanoTime() + this.delay.toNanos();
			while (System.nanoTime() < until) {
				try {
					Thread.sleep(Math.max(1, (until - System.nanoTime()) / 1_000_000));
				}
				catch (InterruptedException ex) {
					interrupted = true;
				}
			}
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
			return new ByteArrayInputStream(bytes) {
				@Override
				public void close() {
					SlowWalClient.this.open.decrementAndGet();
				}
			};
		}

		@Override
		public SnapshotInfo writeSnapshot(String generation, long index, InputStream data) {
			throw new UnsupportedOperationException("read-only");
		}

		@Override
		public WalSegmentInfo writeWalSegment(Pos pos, InputStream data) {
			throw new UnsupportedOperationException("read-only");
		}

		@Override
		public void deleteSnapshots(List<SnapshotInfo> snapshots) {
			throw new UnsupportedOperationException("read-only");
		}

		@Override
		public void deleteWalSegments(List<WalSegmentInfo> segments) {
			throw new UnsupportedOperationException("read-only");
		}

		@Override
		public void deleteGeneration(String generation) {
			throw new UnsupportedOperationException("read-only");
		}

	}

}
