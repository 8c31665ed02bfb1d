package io.github.litestreamspring.engine.verify;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.CheckpointMode;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.lz4.Lz4CompressingInputStream;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Restore verification against real SQLite and a file replica: a healthy replica passes (also while the
 * application keeps writing), a replica whose snapshot was swapped for another valid database or
 * damaged fails with a message saying what differs.
 */
class RestoreVerifierTests {

	@TempDir
	Path dir;

	private Replicator replicator(Path db, Path replicaDir) {
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1))
			.withCheckpointPageCounts(1000, 10_000, 0);
		Replica replica = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(50)),
				new FileReplicaClient(replicaDir));
		return new Replicator(options, List.of(replica));
	}

	@Test
	void healthyReplicaMatchesTheLiveDatabaseAndMeasuresTheRestoreTime() throws Exception {
		Path db = this.dir.resolve("app.db");
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = replicator(db, this.dir.resolve("replica"))) {
			replicator.start();
			for (int batch = 0; batch < 10; batch++) {
				app.insertBatch(batch, 50, 200);
			}
			RestoreVerifier verifier = new RestoreVerifier(replicator, this.dir.resolve("scratch"));
			AtomicReference<VerificationResult> heard = new AtomicReference<>();
			verifier.addListener(heard::set);
			VerificationResult result = verifier.verify();
			assertThat(result.ok()).as(result.message()).isTrue();
			assertThat(result.position()).isEqualTo(replicator.status().position());
			assertThat(result.restoreDuration()).isPositive();
			assertThat(result.replicas()).singleElement().satisfies((r) -> {
				assertThat(r.replica()).isEqualTo("file");
				assertThat(r.ok()).isTrue();
			});
			assertThat(result.message()).contains("match the live database").contains("integrity_check ok");
			assertThat(verifier.last()).isSameAs(result);
			assertThat(heard.get()).isSameAs(result);
			assertThat(this.dir.resolve("scratch")).isEmptyDirectory();
		}
	}

	@Test
	void passesWhileTheApplicationKeepsWriting() throws Exception {
		Path db = this.dir.resolve("app.db");
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = replicator(db, this.dir.resolve("replica"))) {
			replicator.start();
			app.insertBatch(0, 100, 200);
			AtomicBoolean stop = new AtomicBoolean();
			AtomicReference<Exception> writerError = new AtomicReference<>();
			Thread writer = new Thread(() -> {
				try (TestDatabase other = new TestDatabase(db)) {
					for (int batch = 1; batch < 2000 && !stop.get(); batch++) {
						other.insertBatch(batch, 5, 100);
						replicator.notifyChange();
						Thread.sleep(20);
					}
				}
				catch (Exception ex) {
					writerError.set(ex);
				}
			});
			writer.start();
			try {
				RestoreVerifier verifier = new RestoreVerifier(replicator, null);
				for (int i = 0; i < 3; i++) {
					VerificationResult result = verifier.verify();
					assertThat(result.ok()).as(result.message()).isTrue();
				}
			}
			finally {
				stop.set(true);
				writer.join(10_000);
			}
			assertThat(writerError.get()).isNull();
			try (var files = Files.list(this.dir)) {
				assertThat(files.map((p) -> p.getFileName().toString())).noneMatch((n) -> n.contains("-verify-"));
			}
		}
	}

	@Test
	void detectsASnapshotSwappedForAnotherValidDatabase() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = replicator(db, replicaDir)) {
			replicator.start();
			app.insertBatch(0, 100, 200);
			replicator.syncNow();
			// Start a new WAL index so that its WAL does not rewrite the pages of the rows.
			assertThat(replicator.callOnReplicationThread(
					() -> replicator.database().checkpoint(CheckpointMode.RESTART))).isTrue();
			Pos pos = replicator.syncNow();
			replicator.snapshotNow();
			// A valid database, equal but for one row: the kind of damage no checksum inside the replica catches.
			Path forged = this.dir.resolve("forged.db");
			try (Statement st = app.connection().createStatement()) {
				st.execute("VACUUM INTO '" + forged + "'");
			}
			try (Connection c = TestDatabase.open(forged); Statement st = c.createStatement()) {
				st.execute("UPDATE t SET payload = 'forged' || substr(payload, 7) WHERE id = 1");
			}
			new FileReplicaClient(replicaDir).writeSnapshot(pos.generation(), pos.index(),
					new Lz4CompressingInputStream(Files.newInputStream(forged)));

			VerificationResult result = new RestoreVerifier(replicator, null).verify();
			assertThat(result.ok()).isFalse();
			assertThat(result.message()).contains("replica 'file'").contains("differs from the live database").contains("t (");
		}
	}

	@Test
	void detectsADamagedSnapshot() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = replicator(db, replicaDir)) {
			replicator.start();
			app.insertBatch(0, 100, 200);
			Pos pos = replicator.syncNow();
			new FileReplicaClient(replicaDir).writeSnapshot(pos.generation(), 0,
					new java.io.ByteArrayInputStream("not lz4 at all".getBytes()));

			VerificationResult result = new RestoreVerifier(replicator, null).verify();
			assertThat(result.ok()).isFalse();
			assertThat(result.message()).contains("replica 'file'").contains("restore failed");
			assertThat(result.replicas()).singleElement().satisfies((r) -> assertThat(r.ok()).isFalse());
		}
	}

}
