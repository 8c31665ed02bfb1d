package io.github.litestreamspring.engine.restore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.CleanStop;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.db.LocalState;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.interop.CommandResult;
import io.github.litestreamspring.interop.LitestreamCli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A database restored while another instance still writes to the replica catches up to the replica's
 * end and continues the same generation (no new generation, no new snapshot), as Litestream v0.3.13
 * restores it too; anything that would fork or lose a commit is refused and leaves the file untouched.
 */
class ContinuationTests {

	@TempDir
	Path dir;

	private Path replicaDir() {
		return this.dir.resolve("replica");
	}

	private FileReplicaClient client() {
		return new FileReplicaClient(replicaDir());
	}

	private Path db(String instance) throws Exception {
		return Files.createDirectories(this.dir.resolve(instance)).resolve("app.db");
	}

	private Replicator replicator(Path db) {
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1))
			.withCheckpointPageCounts(30, 120, 0);
		Replica replica = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(50)),
				client());
		return new Replicator(options, List.of(replica));
	}

	private Pos restore(Path db) {
		RestoreResult result = new Restorer(client()).restore(RestoreOptions.latest(db));
		return result.position();
	}

	@Test
	void aRestoredInstanceCatchesUpAndContinuesTheGenerationOfTheInstanceThatKeptWriting() throws Exception {
		Path a = db("a");
		Path b = db("b");
		Pos restoredAt;
		Pos oldEnd;
		int snapshots;
		try (TestDatabase appA = new TestDatabase(a)) {
			Replicator old = replicator(a);
			old.start();
			for (int batch = 0; batch < 10; batch++) {
				appA.insertBatch(batch, 10, 300);
			}
			Pos shipped = old.syncNow();
			// The new instance restores while the old one holds the database open and keeps writing.
			restoredAt = restore(b);
			assertThat(restoredAt).as("the restore reports exactly what was shipped").isEqualTo(shipped);
			for (int batch = 10; batch < 60; batch++) {
				appA.insertBatch(batch, 10, 300);
				if (batch % 10 == 0) {
					old.syncNow();
				}
			}
			oldEnd = old.syncNow();
			old.stop();
			assertThat(oldEnd.index()).as("the old instance restarted the WAL since").isGreaterThan(restoredAt.index());
		}
		String generation = restoredAt.generation();
		snapshots = client().snapshots(generation).size();

		assertThatThrownBy(() -> Continuation.continueAt(client(), b, LocalState.defaultMetaDir(b), restoredAt, restoredAt))
			.as("continuing at the restored position would fork from what the old instance shipped since")
			.isInstanceOf(LitestreamException.class)
			.hasMessageContaining("goes on past the target");
		Pos continued = Continuation.continueAt(client(), b, LocalState.defaultMetaDir(b), restoredAt, null);

		assertThat(continued).as("the replica's end").isEqualTo(oldEnd);
		assertThat(TestDatabase.rows(b)).as("caught up").isEqualTo(TestDatabase.rows(a)).hasSize(600);
		Pos newEnd;
		try (TestDatabase appB = new TestDatabase(b)) {
			Replicator next = replicator(b);
			next.start();
			for (int batch = 60; batch < 80; batch++) {
				appB.insertBatch(batch, 10, 300);
			}
			newEnd = next.syncNow();
			next.stop();
		}
		assertThat(newEnd.generation()).isEqualTo(generation);
		assertThat(newEnd.index()).isGreaterThan(oldEnd.index());
		assertThat(client().generations()).as("one generation").containsExactly(generation);
		assertThat(client().snapshots(generation)).as("no snapshot from the new instance").hasSize(snapshots);
		assertThat(client().walSegments(generation).stream().map(WalSegmentInfo::index))
			.as("the new instance shipped the next index").contains(oldEnd.index() + 1);
		List<String> expected = TestDatabase.rows(b);
		assertThat(expected).hasSize(800);

		Path ours = this.dir.resolve("ours.db");
		new Restorer(client()).restore(RestoreOptions.latest(ours));
		assertThat(TestDatabase.rows(ours)).isEqualTo(expected);
		assertThat(TestDatabase.integrityCheck(ours)).isEqualTo("ok");
		Path theirs = this.dir.resolve("litestream.db");
		CommandResult result = LitestreamCli.restore(theirs, "file://" + replicaDir(), null);
		assertThat(result.exitCode()).as(result.describe()).isZero();
		assertThat(TestDatabase.rows(theirs)).isEqualTo(expected);
		assertThat(TestDatabase.integrityCheck(theirs)).isEqualTo("ok");
	}

	@Test
	void aRestoreAtTheReplicasEndContinuesWithoutApplyingAnything() throws Exception {
		Path a = db("a");
		Path b = db("b");
		Pos end;
		try (TestDatabase appA = new TestDatabase(a)) {
			Replicator old = replicator(a);
			old.start();
			appA.insertBatch(0, 10, 300);
			end = old.syncNow();
			old.stop();
		}
		Pos restoredAt = restore(b);
		assertThat(restoredAt).isEqualTo(end);
		CleanStop.FileIdentity before = CleanStop.FileIdentity.of(b);

		assertThat(Continuation.continueAt(client(), b, LocalState.defaultMetaDir(b), restoredAt, end)).isEqualTo(end);

		assertThat(CleanStop.FileIdentity.of(b)).as("nothing applied: the same file").isEqualTo(before);
		try (TestDatabase appB = new TestDatabase(b)) {
			Replicator next = replicator(b);
			next.start();
			appB.insertBatch(1, 10, 300);
			Pos newEnd = next.syncNow();
			next.stop();
			assertThat(newEnd.generation()).isEqualTo(end.generation());
			assertThat(newEnd.index()).isEqualTo(end.index() + 1);
		}
		assertThat(client().generations()).containsExactly(end.generation());
		assertThat(client().snapshots(end.generation())).hasSize(1);
		Path ours = this.dir.resolve("ours.db");
		new Restorer(client()).restore(RestoreOptions.latest(ours));
		assertThat(TestDatabase.rows(ours)).isEqualTo(TestDatabase.rows(b)).hasSize(20);
	}

	@Test
	void aTargetInAnotherGenerationOrOutOfReachIsRefusedAndLeavesTheFileUntouched() throws Exception {
		Path a = db("a");
		Path b = db("b");
		Pos end;
		try (TestDatabase appA = new TestDatabase(a)) {
			Replicator old = replicator(a);
			old.start();
			appA.insertBatch(0, 10, 300);
			end = old.syncNow();
			old.stop();
		}
		Pos restoredAt = restore(b);
		CleanStop.FileIdentity before = CleanStop.FileIdentity.of(b);
		Path metaDir = LocalState.defaultMetaDir(b);

		assertThatThrownBy(() -> Continuation.continueAt(client(), b, metaDir, restoredAt,
				new Pos("0123456789abcdef", end.index(), end.offset())))
			.isInstanceOf(LitestreamException.class)
			.hasMessageContaining("in another generation");
		assertThatThrownBy(() -> Continuation.continueAt(client(), b, metaDir, restoredAt,
				new Pos(end.generation(), end.index() + 3, 4152)))
			.isInstanceOf(LitestreamException.class)
			.hasMessageContaining("lacks WAL segment");
		assertThatThrownBy(() -> Continuation.continueAt(client(), b, metaDir, restoredAt,
				new Pos(end.generation(), end.index(), end.offset() - 1)))
			.isInstanceOf(LitestreamException.class)
			.hasMessageContaining("beyond the target");
		assertThatThrownBy(() -> Continuation.continueAt(client(), b, metaDir, restoredAt,
				new Pos(end.generation(), end.index(), end.offset() + 4120)))
			.isInstanceOf(LitestreamException.class)
			.hasMessageContaining("not exactly");

		assertThat(CleanStop.FileIdentity.of(b)).isEqualTo(before);
		assertThat(metaDir.resolve("clean-stop")).doesNotExist();
		assertThat(new LocalState(metaDir).generation()).isNull();
		try (var files = Files.list(b.getParent())) {
			assertThat(files.map((f) -> f.getFileName().toString())).containsExactlyInAnyOrder("app.db");
		}
	}

	@Test
	void aDatabaseWrittenAfterTheSeedStartsANewGeneration() throws Exception {
		Path a = db("a");
		Path b = db("b");
		Pos end;
		try (TestDatabase appA = new TestDatabase(a)) {
			Replicator old = replicator(a);
			old.start();
			appA.insertBatch(0, 10, 300);
			end = old.syncNow();
			old.stop();
		}
		Continuation.continueAt(client(), b, LocalState.defaultMetaDir(b), restore(b), null);
		// Another process writes and checkpoints: the file is no longer the state the seed vouches for.
		try (Connection other = TestDatabase.open(b); Statement st = other.createStatement()) {
			st.execute("INSERT INTO t (batch, payload) VALUES (999, 'written after the seed')");
		}
		try (TestDatabase appB = new TestDatabase(b)) {
			Replicator next = replicator(b);
			next.start();
			Pos newEnd = next.syncNow();
			next.stop();
			assertThat(newEnd.generation()).isNotEqualTo(end.generation());
		}
		Path ours = this.dir.resolve("ours.db");
		new Restorer(client()).restore(RestoreOptions.latest(ours));
		assertThat(TestDatabase.rows(ours)).isEqualTo(TestDatabase.rows(b)).hasSize(11);
	}

	@Test
	void commitsMadeOnTopOfTheSeededFileBeforeTheEngineStartsAreShippedInTheContinuedGeneration() throws Exception {
		Path a = db("a");
		Path b = db("b");
		Pos end;
		try (TestDatabase appA = new TestDatabase(a)) {
			Replicator old = replicator(a);
			old.start();
			appA.insertBatch(0, 10, 300);
			end = old.syncNow();
			old.stop();
		}
		Continuation.continueAt(client(), b, LocalState.defaultMetaDir(b), restore(b), null);
		// The application's pool opens first and commits into a WAL on top of the seeded file.
		try (TestDatabase appB = new TestDatabase(b)) {
			appB.insertBatch(1, 10, 300);
			Replicator next = replicator(b);
			next.start();
			Pos newEnd = next.syncNow();
			next.stop();
			assertThat(newEnd.generation()).isEqualTo(end.generation());
			assertThat(newEnd.index()).isEqualTo(end.index() + 1);
		}
		Path ours = this.dir.resolve("ours.db");
		new Restorer(client()).restore(RestoreOptions.latest(ours));
		assertThat(TestDatabase.rows(ours)).isEqualTo(TestDatabase.rows(b)).hasSize(20);
	}

	@Test
	void aReplicaEndingWithASnapshotWhoseIndexHasNoWalIsRefusedBecauseLitestreamCannotRestorePastSuchAnIndex()
			throws Exception {
		Path a = db("a");
		Path b = db("b");
		Replicator old = replicator(a);
		long index;
		String generation;
		try (TestDatabase appA = new TestDatabase(a)) {
			old.start();
			appA.insertBatch(0, 10, 300);
			generation = old.syncNow().generation();
			index = old.snapshotNow().get(0).index();
			old.syncNow();
		}
		old.stop();
		// The snapshot's index without WAL (the engine ships its header at once; another writer need not).
		Path away = Files.createDirectories(this.dir.resolve("away"));
		moveSegments(generation, index, away);
		Pos restoredAt = restore(b);
		assertThat(restoredAt).as("a snapshot-only restore: the snapshot's index at offset 0")
			.isEqualTo(new Pos(generation, index, 0));
		CleanStop.FileIdentity before = CleanStop.FileIdentity.of(b);

		assertThatThrownBy(() -> Continuation.continueAt(client(), b, LocalState.defaultMetaDir(b), restoredAt, null))
			.isInstanceOf(LitestreamException.class)
			.hasMessageContaining("no WAL of index");
		assertThat(CleanStop.FileIdentity.of(b)).isEqualTo(before);

		// Why: continuing there would ship index + 1 after an index without WAL, and Litestream v0.3.13
		// cannot restore such a generation (nor can this engine: "missing WAL index").
		try (var files = Files.list(away)) {
			for (Path f : files.toList()) {
				Files.move(f, walDir(generation).resolve(f.getFileName()));
			}
		}
		try (TestDatabase appA = new TestDatabase(a)) {
			Replicator next = replicator(a);
			next.start();
			appA.insertBatch(1, 10, 300);
			assertThat(next.syncNow().index()).as("continued after a clean stop").isEqualTo(index + 1);
			next.stop();
		}
		moveSegments(generation, index, away);
		CommandResult result = LitestreamCli.restore(this.dir.resolve("litestream.db"), "file://" + replicaDir(), null);
		assertThat(result.exitCode()).as(result.describe()).isNotZero();
		assertThat(result.stderr()).contains("missing WAL index");
		// Ours reads the compacted WAL of the index the replicator sealed meanwhile, which bridges the hole
		// in the segments; from the segments alone it fails like Litestream.
		org.springframework.util.FileSystemUtils
			.deleteRecursively(replicaDir().resolve(ReplicaPaths.compactedPath("", generation)));
		assertThatThrownBy(() -> restore(this.dir.resolve("ours.db"))).hasMessageContaining("missing WAL index");
	}

	@Test
	void aSnapshotPastTheRestoredIndexIsRefusedBecauseTheWalBeforeItMayBeIncomplete() throws Exception {
		Path a = db("a");
		Path b = db("b");
		Pos restoredAt;
		try (TestDatabase appA = new TestDatabase(a)) {
			Replicator old = replicator(a);
			old.start();
			appA.insertBatch(0, 10, 300);
			restoredAt = old.syncNow();
			restore(b);
			appA.insertBatch(1, 10, 300);
			Pos lost = old.syncNow();
			assertThat(lost.index()).as("still the restored index").isEqualTo(restoredAt.index());
			// That WAL never reached the replica (a primary whose shadow WAL outgrew its bound starts the
			// next index with a snapshot, which holds it): remove it, then the snapshot and later WAL.
			try (var files = Files.list(walDir(restoredAt.generation()))) {
				String prefix = String.format("%08x_", restoredAt.index());
				for (Path f : files.filter((f) -> f.getFileName().toString().startsWith(prefix)).toList()) {
					long offset = Long.parseLong(f.getFileName().toString().substring(9, 17), 16);
					if (offset >= restoredAt.offset()) {
						Files.delete(f);
					}
				}
			}
			old.snapshotNow();
			appA.insertBatch(2, 10, 300);
			old.syncNow();
			old.stop();
		}
		CleanStop.FileIdentity before = CleanStop.FileIdentity.of(b);

		assertThatThrownBy(() -> Continuation.continueAt(client(), b, LocalState.defaultMetaDir(b), restoredAt, null))
			.as("replaying the WAL across that snapshot would lose the batch only the snapshot holds")
			.isInstanceOf(LitestreamException.class)
			.hasMessageContaining("snapshot at WAL index");
		assertThat(CleanStop.FileIdentity.of(b)).as("the file untouched").isEqualTo(before);
		Path ours = this.dir.resolve("ours.db");
		new Restorer(client()).restore(RestoreOptions.latest(ours));
		assertThat(TestDatabase.rows(ours)).as("a restore from the snapshot holds every batch").hasSize(30);
	}

	private Path walDir(String generation) {
		return replicaDir().resolve("generations").resolve(generation).resolve("wal");
	}

	private void moveSegments(String generation, long index, Path to) throws Exception {
		String prefix = String.format("%08x_", index);
		try (var files = Files.list(walDir(generation))) {
			for (Path f : files.filter((f) -> f.getFileName().toString().startsWith(prefix)).toList()) {
				Files.move(f, to.resolve(f.getFileName()));
			}
		}
	}

}
