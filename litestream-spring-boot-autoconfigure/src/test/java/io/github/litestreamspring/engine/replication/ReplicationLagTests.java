package io.github.litestreamspring.engine.replication;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/** The replica lag in bytes that backpressure limits: grows while a replica fails, zero once it caught up. */
class ReplicationLagTests {

	@TempDir
	Path dir;

	@Test
	void lagInBytesGrowsWhileTheReplicaFailsAndIsZeroOnceItCaughtUp() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		DatabaseOptions options = DatabaseOptions.defaults(db).withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1));
		Replica replica = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(50)),
				new FileReplicaClient(replicaDir));
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = new Replicator(options, List.of(replica))) {
			replicator.start();
			app.insertBatch(0, 10, 100);
			replicator.syncNow();
			assertThat(replicator.status().replicas().get(0).lagBytes()).isZero();
			Files.move(replicaDir, this.dir.resolve("moved"));
			Files.writeString(replicaDir, "not a directory");
			app.insertBatch(1, 100, 1000);
			Pos local = replicator.callOnReplicationThread(() -> {
				replicator.database().sync();
				return replicator.database().position();
			});
			long lag = replicator.status().replicas().get(0).lagBytes();
			assertThat(lag).isGreaterThan(100_000).isLessThanOrEqualTo(local.offset());
			Files.delete(replicaDir);
			Files.move(this.dir.resolve("moved"), replicaDir);
			replicator.syncNow();
			assertThat(replicator.status().replicas().get(0).lagBytes()).isZero();
		}
	}

	@Test
	void lagAcrossIndexesAddsTheRestOfEachIndex() throws Exception {
		Path db = this.dir.resolve("app.db");
		DatabaseOptions options = DatabaseOptions.defaults(db);
		Replica replica = new Replica(ReplicaOptions.defaults("file"), new FileReplicaClient(this.dir.resolve("r")));
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = new Replicator(options, List.of(replica))) {
			replicator.start();
			app.insertBatch(0, 10, 100);
			Pos pos = replicator.syncNow();
			long size = replicator.database().shadowWalSize(pos.generation(), pos.index());
			Pos next = new Pos(pos.generation(), pos.index() + 1, 4152);
			assertThat(replicator.lagBytes(next, new Pos(pos.generation(), pos.index(), 32)))
				.isEqualTo(size - 32 + 4152);
			assertThat(replicator.lagBytes(next, Pos.NONE)).isEqualTo(size + 4152);
			assertThat(replicator.lagBytes(pos, pos)).isZero();
		}
	}

}
