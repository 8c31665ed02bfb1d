package io.github.litestreamspring.engine.replica.file;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.replica.ReplicaClientContractTests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/** The replica contract on a local directory, plus what only a file replica does. */
class FileReplicaClientTests extends ReplicaClientContractTests {

	@TempDir
	Path tmp;

	@Override
	protected ReplicaClient newClient() {
		return new FileReplicaClient(this.tmp.resolve("replica"));
	}

	@Override
	protected void writeForeignObject(String relativeKey, byte[] data) throws IOException {
		Path p = this.tmp.resolve("replica").resolve(relativeKey);
		Files.createDirectories(p.getParent());
		Files.write(p, data);
	}

	@Test
	void writesLitestreamLayoutAndLeavesNoTemporaryFiles() throws IOException {
		this.client.writeSnapshot(GEN, 0x7a, bytes("s"));
		this.client.writeWalSegment(new Pos(GEN, 0x7a, 0x1038), bytes("w"));

		Path root = this.tmp.resolve("replica");
		try (Stream<Path> files = Files.walk(root)) {
			assertThat(files.filter(Files::isRegularFile).map((p) -> root.relativize(p).toString()))
				.containsExactlyInAnyOrder("generations/" + GEN + "/snapshots/0000007a.snapshot.lz4",
						"generations/" + GEN + "/wal/0000007a_00001038.wal.lz4");
		}
	}

	@Test
	void writesIntoAFreshGenerationCreatingEveryDirectoryOnTheWay() throws IOException {
		// Each new level (root, generations/, the generation, snapshots/, wal/) is created and its parent
		// fsynced before the object is written. A lost directory entry after a power cut cannot be
		// reproduced here; this pins that the path that creates and syncs them works on a fresh replica.
		Path root = this.tmp.resolve("replica");
		assertThat(root).doesNotExist();
		this.client.writeWalSegment(new Pos(GEN, 0, 0), bytes("w"));
		this.client.writeSnapshot(GEN, 0, bytes("s"));

		assertThat(root.resolve("generations/" + GEN + "/wal")).isDirectory();
		assertThat(root.resolve("generations/" + GEN + "/snapshots")).isDirectory();
		assertThat(this.client.snapshots(GEN)).hasSize(1);
		assertThat(this.client.walSegments(GEN)).hasSize(1);
	}

	@Test
	void reportsFileMtimeAsCreatedAt() throws IOException {
		this.client.writeSnapshot(GEN, 1, bytes("s"));
		Path file = this.tmp.resolve("replica/generations/" + GEN + "/snapshots/00000001.snapshot.lz4");

		assertThat(this.client.snapshots(GEN).get(0).createdAt())
			.isEqualTo(Files.getLastModifiedTime(file).toInstant());
	}

	@Test
	void copiesDatabasePermissionsToNewFilesAndDirectories() throws IOException {
		assumeThat(this.tmp.getFileSystem().supportedFileAttributeViews()).contains("posix");
		Path dbDir = Files.createDirectory(this.tmp.resolve("db"));
		Path db = Files.createFile(dbDir.resolve("app.db"));
		Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("rw-------"));
		Files.setPosixFilePermissions(dbDir, PosixFilePermissions.fromString("rwx--x---"));
		FileReplicaClient replica = new FileReplicaClient(this.tmp.resolve("perm-replica"), db);

		replica.writeSnapshot(GEN, 1, bytes("s"));

		Path gen = this.tmp.resolve("perm-replica/generations/" + GEN);
		assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(gen))).isEqualTo("rwx--x---");
		assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(gen.resolve("snapshots"))))
			.isEqualTo("rwx--x---");
		assertThat(PosixFilePermissions
			.toString(Files.getPosixFilePermissions(gen.resolve("snapshots/00000001.snapshot.lz4"))))
			.isEqualTo("rw-------");
	}

	@Test
	void toleratesMissingPermissionsSource() throws IOException {
		FileReplicaClient replica = new FileReplicaClient(this.tmp.resolve("r2"), this.tmp.resolve("no-such.db"));

		replica.writeSnapshot(GEN, 1, bytes("s"));

		assertThat(replica.snapshots(GEN)).hasSize(1);
	}

	@Test
	void missingObjectMessageNamesFullPath() {
		Path expected = this.tmp.resolve("replica/generations/" + GEN + "/snapshots/00000001.snapshot.lz4")
			.toAbsolutePath();
		org.assertj.core.api.Assertions.assertThatThrownBy(() -> this.client.openSnapshot(GEN, 1))
			.isInstanceOf(java.io.FileNotFoundException.class)
			.hasMessageContaining(expected.toString());
	}

	@Test
	void describesAsFileUrl() {
		assertThat(this.client.describe()).isEqualTo("file://" + this.tmp.resolve("replica").toAbsolutePath());
		assertThat(this.client.type()).isEqualTo("file");
	}

}
