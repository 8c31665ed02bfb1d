package io.github.litestreamspring.engine.restore;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.lz4.Lz4Frames;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A WAL segment that is small on the replica but decodes to several MiB (WAL frames of repetitive
 * pages compress very well) is decoded to a temporary file, not into memory; it restores the same
 * rows, is still checked frame by frame, and leaves no temporary file behind.
 */
class HighlyCompressedSegmentRestoreTests {

	private static final int MIB = 1024 * 1024;

	@TempDir
	Path dir;

	@Test
	void restoresASegmentThatDecodesToMoreThanTheInMemoryLimit() throws Exception {
		Path replica = this.dir.resolve("replica");
		List<String> expected = replicate(replica);
		WalSegmentInfo big = highlyCompressedSegment(replica);
		Path output = this.dir.resolve("out").resolve("restored.db");
		new Restorer(new FileReplicaClient(replica)).restore(RestoreOptions.latest(output));
		assertThat(TestDatabase.rows(output)).isEqualTo(expected);
		assertThat(TestDatabase.integrityCheck(output)).isEqualTo("ok");
		try (Stream<Path> files = Files.list(output.getParent())) {
			assertThat(files.map((p) -> p.getFileName().toString())).containsExactly("restored.db");
		}
		assertThat(big.size()).isLessThan(MIB);
	}

	@Test
	void aCorruptFrameInsideSuchASegmentFailsNamingIt() throws Exception {
		Path replica = this.dir.resolve("replica");
		replicate(replica);
		WalSegmentInfo big = highlyCompressedSegment(replica);
		Path object = replica.resolve(ReplicaPaths.walSegmentPath("", big.generation(), big.index(), big.offset()));
		byte[] decoded;
		try (InputStream in = Lz4Frames.decompressingStream(Files.newInputStream(object))) {
			decoded = in.readAllBytes();
		}
		// A byte of page data well past the first MiB: the LZ4 frame stays valid, the WAL frame does not.
		decoded[decoded.length - 1000] ^= 0x5a;
		ByteArrayOutputStream recompressed = new ByteArrayOutputStream();
		try (OutputStream out = Lz4Frames.compressingStream(recompressed)) {
			out.write(decoded);
		}
		Files.write(object, recompressed.toByteArray());
		Path output = this.dir.resolve("out").resolve("restored.db");
		assertThatThrownBy(() -> new Restorer(new FileReplicaClient(replica)).restore(RestoreOptions.latest(output)))
			.isInstanceOf(LitestreamException.class)
			.hasMessageContaining("invalid frame")
			.hasMessageContaining(ReplicaPaths.walSegmentPath("", big.generation(), big.index(), big.offset()));
		try (Stream<Path> files = Files.list(output.getParent())) {
			assertThat(files).as("files left behind").isEmpty();
		}
	}

	/** A small batch, one large batch of repetitive rows, a small batch: each synced as its own segment. */
	private List<String> replicate(Path replica) throws Exception {
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
			app.insertBatch(1, 1500, 4000);
			replicator.syncNow();
			app.insertBatch(2, 5, 100);
			replicator.syncNow();
			return app.rows();
		}
	}

	/** The segment holding the large batch: under 1 MiB stored, over 1 MiB decoded (next offset − own). */
	private static WalSegmentInfo highlyCompressedSegment(Path replica) throws Exception {
		FileReplicaClient client = new FileReplicaClient(replica);
		String generation = client.generations().get(0);
		List<WalSegmentInfo> segments = client.walSegments(generation);
		for (int i = 0; i + 1 < segments.size(); i++) {
			WalSegmentInfo s = segments.get(i);
			WalSegmentInfo next = segments.get(i + 1);
			if (next.index() == s.index() && next.offset() - s.offset() > 2L * MIB && s.size() < MIB) {
				return s;
			}
		}
		throw new AssertionError("no segment decoding to over 2 MiB in " + segments);
	}

}
