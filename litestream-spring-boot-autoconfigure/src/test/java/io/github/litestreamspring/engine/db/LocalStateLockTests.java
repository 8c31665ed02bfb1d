package io.github.litestreamspring.engine.db;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.ChildJvm;
import io.github.litestreamspring.engine.testsupport.ReplicatingChild;
import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Two replicators of one database on one volume (in one JVM or in two processes): the second one's
 * start fails, naming the lock file and the holder, and the first one keeps its lock.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalStateLockTests {

	private static final String PID = "pid " + ProcessHandle.current().pid();

	@TempDir
	Path dir;

	@Test
	void aSecondReplicatorInTheSameJvmFailsToStartAndTheFirstKeepsItsLock() throws Exception {
		Path db = this.dir.resolve("app.db");
		try (TestDatabase app = new TestDatabase(db); Replicator first = replicator(db, "r1");
				Replicator second = replicator(db, "r2")) {
			first.start();
			assertThatExceptionOfType(LitestreamException.class).isThrownBy(second::start)
				.withMessageContaining("cannot replicate " + db)
				.withMessageContaining(lockFile(db).toString())
				.withMessageContaining(PID)
				.withMessageContaining("in this JVM");
			assertThat(second.isRunning()).isFalse();
			// The failed attempt must not have released the first one's lock for other processes.
			List<String> child = runChild(db, "r3");
			assertThat(child).anySatisfy((l) -> assertThat(l).startsWith("REFUSED").contains(PID));
			app.insertBatch(0, 10, 100);
			first.syncNow();
			first.stop();
			second.start();
			assertThat(second.isRunning()).isTrue();
		}
	}

	@Test
	void aReplicatorInAnotherProcessOnTheSameVolumeFailsToStartWhileTheFirstRuns() throws Exception {
		Path db = this.dir.resolve("app.db");
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = replicator(db, "r1")) {
			Path stdout = this.dir.resolve("child.out");
			Process child = ChildJvm.start(ReplicatingChild.class, this.dir, stdout, this.dir.resolve("child.err"),
					db.toString(), this.dir.resolve("r2").toString(), "30000");
			try {
				assertThat(ChildJvm.awaitLine(child, stdout, "STARTED", Duration.ofSeconds(30)))
					.as(ChildJvm.describe(this.dir.resolve("child.err"))).isTrue();
				assertThatExceptionOfType(LitestreamException.class).isThrownBy(replicator::start)
					.withMessageContaining(lockFile(db).toString())
					.withMessageContaining("pid " + child.pid());
			}
			finally {
				child.destroyForcibly();
				child.waitFor(10, TimeUnit.SECONDS);
			}
			// The process is gone, and its lock with it.
			replicator.start();
			app.insertBatch(0, 10, 100);
			assertThat(replicator.syncNow().isNone()).isFalse();
		}
	}

	private Replicator replicator(Path db, String replica) {
		DatabaseOptions options = DatabaseOptions.defaults(db).withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1));
		return new Replicator(options, List.of(new Replica(ReplicaOptions.defaults("file"),
				new FileReplicaClient(this.dir.resolve(replica)))));
	}

	private List<String> runChild(Path db, String replica) throws Exception {
		Path stdout = this.dir.resolve("refused.out");
		Process child = ChildJvm.start(ReplicatingChild.class, this.dir, stdout, this.dir.resolve("refused.err"),
				db.toString(), this.dir.resolve(replica).toString(), "100");
		try {
			assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
			return ChildJvm.lines(stdout);
		}
		finally {
			child.destroyForcibly();
		}
	}

	private static Path lockFile(Path db) throws Exception {
		return db.resolveSibling(".app.db-litestream").toRealPath().resolve("lock");
	}

}
