package io.github.litestreamspring.engine.replication;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.testsupport.Soak;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The disk holding the shadow WAL (the meta directory) fills up while the application commits: the
 * status names the cause, the replica never receives anything but a prefix of the commits, and once
 * space is freed replication recovers and the replica restores to the whole table.
 * <p>
 * The meta directory is a 1 MiB tmpfs mounted for the test, which needs root (or CAP_SYS_ADMIN) on
 * Linux; elsewhere the test is skipped, see {@code docs/reliability.md}.
 */
class ShadowWalDiskFullTests {

	@TempDir
	Path dir;

	private Path mountPoint;

	@AfterEach
	void unmount() throws Exception {
		if (this.mountPoint != null) {
			run("umount", this.mountPoint.toString());
		}
	}

	@Test
	void aFullShadowWalDiskIsReportedAndReplicationRecoversOnceSpaceIsFreed() throws Exception {
		Path tmpfs = Files.createDirectories(this.dir.resolve("small-disk"));
		assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", tmpfs.toString()),
				"cannot mount a tmpfs here (needs root on Linux): full-disk test skipped");
		this.mountPoint = tmpfs;
		Path db = this.dir.resolve("app.db");
		Path replicaDir = this.dir.resolve("replica");
		DatabaseOptions options = new DatabaseOptions(db, tmpfs.resolve("meta"), Duration.ofMillis(50),
				Duration.ofMinutes(1), 1000, 0, 0, null);
		Replica replica = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(50)),
				new FileReplicaClient(replicaDir));
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = new Replicator(options, List.of(replica))) {
			replicator.start();
			app.insertBatch(0, 10, 100);
			replicator.syncNow();

			Path filler = tmpfs.resolve("filler");
			long filled = fill(filler);
			System.out.println("ShadowWalDiskFullTests: filled " + filled + " bytes of the tmpfs");

			// Bounded: 200 one-row transactions of 2 KB, far more than the space left.
			int batch = 1;
			for (; batch <= 200 && errorOf(replicator) == null; batch++) {
				app.insertBatch(batch, 1, 2000);
				replicator.notifyChange();
				Thread.sleep(5);
			}
			assertThat(await(Duration.ofSeconds(10), () -> errorOf(replicator) != null))
				.as("an error is reported once the shadow WAL disk is full: %s", replicator.status())
				.isTrue();
			String error = errorOf(replicator);
			assertThat(error).contains("No space left on device");
			// The application keeps committing on the full disk (its own database is elsewhere).
			for (int i = 0; i < 20; i++, batch++) {
				app.insertBatch(batch, 1, 2000);
				replicator.notifyChange();
			}
			Thread.sleep(200);
			assertThat(errorOf(replicator)).as("still failing while full").contains("No space left on device");
			int committedWhileFull = batch - 1;

			// Meanwhile the replica holds a prefix of the commits, never a torn or foreign state.
			Path during = this.dir.resolve("restored-during.db");
			RestoreResult partial = new Restorer(new FileReplicaClient(replicaDir)).restore(RestoreOptions.latest(during));
			assertThat(partial.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
			assertThat(TestDatabase.integrityCheck(during)).isEqualTo("ok");
			List<String> live = app.rows();
			List<String> restoredDuring = TestDatabase.rows(during);
			assertThat(live.subList(0, restoredDuring.size())).as("restored while full is a prefix")
				.isEqualTo(restoredDuring);

			Files.delete(filler);
			app.insertBatch(batch, 1, 2000);
			replicator.notifyChange();
			assertThat(await(Duration.ofSeconds(15), () -> {
				ReplicationStatus status = replicator.status();
				return errorOf(replicator) == null && status.replicas().get(0).isCurrent(status.position());
			})).as("recovered after space was freed: %s", replicator.status()).isTrue();
			replicator.syncNow();

			Path restored = this.dir.resolve("restored.db");
			new Restorer(new FileReplicaClient(replicaDir)).restore(RestoreOptions.latest(restored));
			assertThat(TestDatabase.integrityCheck(restored)).isEqualTo("ok");
			List<String> expected = app.rows();
			assertThat(TestDatabase.rows(restored)).isEqualTo(expected);
			Soak.report("ShadowWalDiskFullTests", "committedWhileFull=" + committedWhileFull + " restoredWhileFull="
					+ restoredDuring.size() + " committed=" + expected.size() + " lost=0 error=\"" + error + "\"");
		}
	}

	/** The database's or the replica's last error, whichever is set. */
	private static String errorOf(Replicator replicator) {
		ReplicationStatus status = replicator.status();
		if (status.lastError() != null) {
			return status.lastError();
		}
		return status.replicas().get(0).lastError();
	}

	/** Writes {@code file} until the disk is full; returns the bytes written. */
	private static long fill(Path file) throws IOException {
		byte[] chunk = new byte[16 * 1024];
		long written = 0;
		try (OutputStream out = Files.newOutputStream(file)) {
			// Bounded: the tmpfs holds 1 MiB.
			for (int i = 0; i < 1000; i++) {
				out.write(chunk);
				out.flush();
				written += chunk.length;
			}
		}
		catch (IOException ex) {
			assertThat(ex.getMessage()).contains("No space left on device");
			return written;
		}
		throw new IllegalStateException("the tmpfs did not fill up");
	}

	private static boolean run(String... command) throws Exception {
		try {
			Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
			p.getInputStream().transferTo(OutputStream.nullOutputStream());
			return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
		}
		catch (IOException ex) {
			return false; // no such command
		}
	}

	/** Polls {@code condition} every 20 ms until it holds or {@code timeout} passes. */
	private static boolean await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			if (condition.getAsBoolean()) {
				return true;
			}
			Thread.sleep(20);
		}
		return condition.getAsBoolean();
	}

}
