package io.github.litestreamspring.engine.replication;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.db.LocalState;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;
import io.github.litestreamspring.engine.LitestreamException;

/**
 * A replica that holds a history the local database does not (a rolled-back volume, lost page cache)
 * is never skipped nor appended to: a new generation starts, and the latest state restores.
 */
class DivergedReplicaTests {

	@TempDir
	Path dir;

	private Path db;

	private Path replicaDir;

	private Replicator replicator() {
		// No checkpoint of the engine's own during the test: the files copied aside are consistent.
		DatabaseOptions options = DatabaseOptions.defaults(this.db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(10))
			.withCheckpointPageCounts(100_000, 200_000, 0);
		Replica replica = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(50)),
				new FileReplicaClient(this.replicaDir));
		return new Replicator(options, List.of(replica));
	}

	@Test
	void aReplicaAheadOfARolledBackVolumeStartsANewGenerationThatRestoresTheLocalRows() throws Exception {
		this.db = this.dir.resolve("app.db");
		this.replicaDir = this.dir.resolve("replica");
		Path aside = this.dir.resolve("volume-snapshot");
		String oldGeneration;
		try (TestDatabase app = new TestDatabase(this.db); Replicator replicator = replicator()) {
			replicator.start();
			writeBatches(app, 0, 5);
			oldGeneration = replicator.syncNow().generation();
			copyVolume(this.dir, aside);
			// The replica moves on: more rows, and a snapshot that starts WAL index 1.
			writeBatches(app, 100, 5);
			replicator.syncNow();
			replicator.snapshotNow();
			writeBatches(app, 200, 5);
			Pos ahead = replicator.syncNow();
			assertThat(ahead.index()).as("replica index after the volume snapshot").isGreaterThan(0);
		}
		restoreVolume(aside, this.dir);
		try (TestDatabase app = new TestDatabase(this.db); Replicator replicator = replicator()) {
			replicator.start();
			writeBatches(app, 300, 3);
			Pos local = syncUntilReplicaCurrent(replicator);
			assertThat(local.generation()).as("generation after the rollback").isNotEqualTo(oldGeneration);
			assertLatestRestoreEquals(app.rows());
		}
	}

	@Test
	void walAndShadowWalTruncatedBehindTheReplicaByAPowerCutStartANewGeneration() throws Exception {
		this.db = this.dir.resolve("app.db");
		this.replicaDir = this.dir.resolve("replica");
		Path aside = this.dir.resolve("crash-image");
		String generation;
		long survived;
		long shippedEnd;
		try (TestDatabase app = new TestDatabase(this.db); Replicator replicator = replicator()) {
			replicator.start();
			writeBatches(app, 0, 5);
			replicator.syncNow();
			writeBatches(app, 100, 5);
			Pos durable = replicator.syncNow();
			generation = durable.generation();
			survived = durable.offset();
			assertThat(Files.size(this.db.resolveSibling("app.db-wal"))).as("WAL size").isEqualTo(survived);
			writeBatches(app, 200, 10);
			Pos shipped = replicator.syncNow();
			assertThat(shipped.index()).isEqualTo(durable.index());
			shippedEnd = shipped.offset();
			copyVolume(this.dir, aside);
		}
		restoreVolume(aside, this.dir);
		// The page cache held the last ten batches, in the WAL and in the shadow WAL alike: both lose them.
		truncate(this.db.resolveSibling("app.db-wal"), survived);
		truncate(new LocalState(LocalState.defaultMetaDir(this.db)).shadowWal(generation, 0), survived);
		try (TestDatabase app = new TestDatabase(this.db); Replicator replicator = replicator()) {
			// Other rows than the lost ones, more of them, before replication resumes: the local WAL
			// ends beyond the replica's, whose last segment no longer matches it.
			writeBatches(app, 300, 15);
			assertThat(Files.size(this.db.resolveSibling("app.db-wal"))).isGreaterThan(shippedEnd);
			replicator.start();
			Pos local = syncUntilReplicaCurrent(replicator);
			assertThat(local.generation()).as("generation after the power cut").isNotEqualTo(generation);
			assertLatestRestoreEquals(app.rows());
		}
	}

	/** Syncs until the replica holds the local position (a divergence costs one failed pass first). */
	private static Pos syncUntilReplicaCurrent(Replicator replicator) throws InterruptedException {
		long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
		for (int attempt = 0; attempt < 20 && System.nanoTime() < deadline; attempt++) {
			try {
				Pos local = replicator.syncNow();
				if (local.equals(replicator.status().replicas().get(0).position())) {
					return local;
				}
			}
			catch (LitestreamException ex) {
				// The pass that finds the divergence fails, naming both positions; the next one recovers.
				assertThat(ex.getMessage()).contains("the local history is not the replica's");
			}
			Thread.sleep(300);
		}
		return replicator.syncNow();
	}

	private void assertLatestRestoreEquals(List<String> rows) throws Exception {
		Path restored = this.dir.resolve("restored-" + System.nanoTime() + ".db");
		new Restorer(new FileReplicaClient(this.replicaDir)).restore(RestoreOptions.latest(restored));
		assertThat(TestDatabase.integrityCheck(restored)).isEqualTo("ok");
		assertThat(TestDatabase.rows(restored)).as("latest restore").isEqualTo(rows);
	}

	private static void writeBatches(TestDatabase app, int first, int count) throws Exception {
		for (int batch = first; batch < first + count; batch++) {
			app.insertBatch(batch, 20, 300 + batch);
		}
	}

	/** Copies the database, its WAL and the engine's local state: what a volume snapshot would hold. */
	private static void copyVolume(Path from, Path to) throws IOException {
		Files.createDirectories(to);
		for (String name : List.of("app.db", "app.db-wal")) {
			Files.copy(from.resolve(name), to.resolve(name));
		}
		copyTree(from.resolve(".app.db-litestream"), to.resolve(".app.db-litestream"));
	}

	/** Puts a volume snapshot back in place of the current files (the processes are stopped). */
	private static void restoreVolume(Path from, Path to) throws IOException {
		for (String name : List.of("app.db", "app.db-wal", "app.db-shm")) {
			Files.deleteIfExists(to.resolve(name));
		}
		deleteTree(to.resolve(".app.db-litestream"));
		for (String name : List.of("app.db", "app.db-wal")) {
			Files.copy(from.resolve(name), to.resolve(name), StandardCopyOption.REPLACE_EXISTING);
		}
		copyTree(from.resolve(".app.db-litestream"), to.resolve(".app.db-litestream"));
	}

	private static void truncate(Path file, long size) throws IOException {
		assertThat(Files.size(file)).as("size of %s", file).isGreaterThan(size);
		try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
			ch.truncate(size);
		}
	}

	private static void copyTree(Path from, Path to) throws IOException {
		try (Stream<Path> files = Files.walk(from)) {
			for (Path source : (Iterable<Path>) files::iterator) {
				Path target = to.resolve(from.relativize(source).toString());
				if (Files.isDirectory(source)) {
					Files.createDirectories(target);
				}
				else {
					Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
				}
			}
		}
	}

	private static void deleteTree(Path root) throws IOException {
		if (!Files.exists(root)) {
			return;
		}
		try (Stream<Path> files = Files.walk(root)) {
			files.sorted(Comparator.reverseOrder()).forEach((p) -> {
				try {
					Files.delete(p);
				}
				catch (IOException ex) {
					throw new UncheckedIOException(ex);
				}
			});
		}
	}

}
