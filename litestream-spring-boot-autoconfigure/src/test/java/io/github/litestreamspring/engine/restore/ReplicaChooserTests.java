package io.github.litestreamspring.engine.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one replica-choice rule of the startup restore and the command-line tool: newest matching backup
 * first, equally new ones in configuration order, replicas without a backup left out, unreadable ones
 * reported rather than fatal.
 */
class ReplicaChooserTests {

	@TempDir
	Path dir;

	private Path backup;

	@BeforeEach
	void replicateOneBackup() throws Exception {
		this.backup = this.dir.resolve("backup");
		DatabaseOptions options = DatabaseOptions.defaults(this.dir.resolve("app.db"))
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1));
		Replica target = new Replica(ReplicaOptions.defaults("file").withSyncInterval(Duration.ofMillis(50)),
				new FileReplicaClient(this.backup));
		try (TestDatabase app = new TestDatabase(this.dir.resolve("app.db"));
				Replicator replicator = new Replicator(options, List.of(target))) {
			replicator.start();
			app.insertBatch(1, 10, 100);
			replicator.syncNow();
		}
	}

	@Test
	void theNewestBackupComesFirstAndReplicasWithoutOneAreLeftOut() throws Exception {
		Path older = copy("older", (t) -> t.minus(Duration.ofMinutes(1)));
		Path newer = copy("newer", (t) -> t.plus(Duration.ofMinutes(1)));
		Path empty = Files.createDirectories(this.dir.resolve("empty"));

		ReplicaChooser.Choice<Path> choice = choose(List.of(older, empty, newer));

		assertThat(choice.candidates()).extracting(ReplicaChooser.Candidate::replica).containsExactly(newer, older);
		assertThat(choice.best()).map(ReplicaChooser.Candidate::replica).contains(newer);
		assertThat(choice.failures()).isEmpty();
		assertThat(choose(List.of(empty)).best()).isEmpty();
		assertThat(choose(List.of(empty)).unreadable()).isFalse();
	}

	@Test
	void equallyNewBackupsKeepTheGivenOrder() throws Exception {
		Instant at = Instant.parse("2026-01-02T03:04:05Z");
		Path first = copy("first", (t) -> at);
		Path second = copy("second", (t) -> at);

		assertThat(choose(List.of(first, second)).candidates()).extracting(ReplicaChooser.Candidate::replica)
			.containsExactly(first, second);
		assertThat(choose(List.of(second, first)).candidates()).extracting(ReplicaChooser.Candidate::replica)
			.containsExactly(second, first);
	}

	@Test
	void anUnreadableReplicaIsReportedByNameAndTheOthersStillCount() throws Exception {
		Path unreadable = Files.writeString(this.dir.resolve("unreadable"), "not a directory");

		ReplicaChooser.Choice<Path> choice = choose(List.of(unreadable, this.backup));

		assertThat(choice.best()).map(ReplicaChooser.Candidate::replica).contains(this.backup);
		assertThat(choice.failures()).extracting(ReplicaChooser.Failure::name).containsExactly("unreadable");
		assertThat(choice.describeFailures()).startsWith("replica 'unreadable': ");
		assertThat(choice.unreadable()).isFalse();
		ReplicaChooser.Choice<Path> alone = choose(List.of(unreadable));
		assertThat(alone.unreadable()).isTrue();
		assertThat(alone.best()).isEmpty();
	}

	private ReplicaChooser.Choice<Path> choose(List<Path> replicas) {
		return ReplicaChooser.choose(replicas, ReplicaChooserTests::client, (p) -> p.getFileName().toString(),
				RestoreOptions.latest(this.dir.resolve("restored.db")));
	}

	private static ReplicaClient client(Path root) {
		return new FileReplicaClient(root);
	}

	/** A copy of the backup whose objects' timestamps are {@code time} applied to the original ones. */
	private Path copy(String name, UnaryOperator<Instant> time) throws IOException {
		Path target = this.dir.resolve(name);
		try (Stream<Path> files = Files.walk(this.backup)) {
			for (Path file : files.toList()) {
				Path copy = target.resolve(this.backup.relativize(file).toString());
				if (Files.isDirectory(file)) {
					Files.createDirectories(copy);
				}
				else {
					Files.copy(file, copy);
					Files.setLastModifiedTime(copy,
							FileTime.from(time.apply(Files.getLastModifiedTime(file).toInstant())));
				}
			}
		}
		return target;
	}

}
