package io.github.litestreamspring.engine.replication;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.ChildJvm;
import io.github.litestreamspring.engine.testsupport.ReplicatingChild;
import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.engine.lease.LeaseOptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import io.github.litestreamspring.engine.LitestreamException;

/**
 * A process killed with SIGKILL and restarted on the same disk (a container restart on its
 * {@code emptyDir}, a StatefulSet pod, a VM) finds its own dead predecessor's lease: the lease names the
 * local state directory and the host, and the directory's lock — held by every replicating process,
 * freed by the OS at its death — is free. It takes the lease at once instead of waiting a whole TTL with
 * the application down. While the predecessor lives, its lock is held and nothing is taken.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RestartAfterCrashLeaseTests {

	private static final Duration TTL = Duration.ofSeconds(30);

	@TempDir
	Path dir;

	@Test
	void aProcessRestartedAfterSigkillOnTheSameDiskTakesItsPredecessorsLeaseAtOnce() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		new TestDatabase(db).close();
		Process child = startChild(db, replicaDir, "child");
		child.destroyForcibly();
		assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
		assertThat(Files.readString(replicaDir.resolve("lease.json"))).contains("\"released\":false")
			.contains("\"pid\":" + child.pid());

		Replicator restarted = replicator(db, replicaDir, LeaseOptions.OnConflict.WAIT);
		try {
			long started = System.nanoTime();
			restarted.acquireLeases(Duration.ofSeconds(20));
			assertThat(Duration.ofNanos(System.nanoTime() - started)).as("not a TTL").isLessThan(Duration.ofSeconds(10));
			restarted.start();
			assertThat(restarted.leaseState(restarted.replicas().get(0))).isEqualTo("held");
			assertThat(Files.readString(replicaDir.resolve("lease.json")))
				.contains("\"pid\":" + ProcessHandle.current().pid());
		}
		finally {
			restarted.stop();
		}
	}

	@Test
	void aLiveProcessOnTheSameDiskKeepsItsLease() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		new TestDatabase(db).close();
		Process child = startChild(db, replicaDir, "live");
		Replicator second = replicator(db, replicaDir, LeaseOptions.OnConflict.FAIL);
		try {
			assertThatExceptionOfType(LitestreamException.class)
				.isThrownBy(() -> second.acquireLeases(Duration.ofSeconds(5)))
				.withMessageContaining("is held by another instance")
				.withMessageContaining("pid " + child.pid());
		}
		finally {
			child.destroyForcibly();
			child.waitFor(10, TimeUnit.SECONDS);
			second.closeDatabase();
		}
	}

	@Test
	void aLeaseOfTheSameLocalStateCopiedToAnotherHostIsNotTakenAtOnce() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		new TestDatabase(db).close();
		Process child = startChild(db, replicaDir, "copied");
		child.destroyForcibly();
		assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
		// As if the directory had been copied from another host: same state id, another host name.
		Path lease = replicaDir.resolve("lease.json");
		String json = Files.readString(lease);
		String host = json.replaceAll("(?s).*\"host\":\"([^\"]*)\".*", "$1");
		FileReplicaClient client = new FileReplicaClient(replicaDir);
		assertThat(client.replaceLease(client.readLease().orElseThrow().etag(),
				json.replace("\"host\":\"" + host + "\"", "\"host\":\"elsewhere\"").getBytes())).isNotNull();
		Replicator other = replicator(db, replicaDir, LeaseOptions.OnConflict.FAIL);
		try {
			assertThatExceptionOfType(LitestreamException.class)
				.isThrownBy(() -> other.acquireLeases(Duration.ofSeconds(5)))
				.withMessageContaining("host elsewhere");
		}
		finally {
			other.closeDatabase();
			client.close();
		}
	}

	private Process startChild(Path db, Path replicaDir, String name) throws Exception {
		Path stdout = this.dir.resolve(name + ".out");
		Process child = ChildJvm.start(ReplicatingChild.class, this.dir, stdout, this.dir.resolve(name + ".err"),
				db.toString(), replicaDir.toString(), "60000", Long.toString(TTL.toMillis()));
		assertThat(ChildJvm.awaitLine(child, stdout, "STARTED", Duration.ofSeconds(30)))
			.as(ChildJvm.describe(this.dir.resolve(name + ".err"))).isTrue();
		return child;
	}

	private static Replicator replicator(Path db, Path replicaDir, LeaseOptions.OnConflict onConflict) {
		DatabaseOptions options = DatabaseOptions.defaults(db).withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1));
		Replicator replicator = new Replicator(options,
				List.of(new Replica(ReplicaOptions.defaults("file"), new FileReplicaClient(replicaDir))));
		replicator.setLeaseOptions(LeaseOptions.enabled(TTL, onConflict));
		return replicator;
	}

}
