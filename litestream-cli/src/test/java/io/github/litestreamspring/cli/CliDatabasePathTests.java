package io.github.litestreamspring.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code restore -config FILE DB_PATH}, Litestream's main form: the path picks one of the configured
 * databases (the application's or one of {@code litestream.databases[]}) and is the default output.
 */
class CliDatabasePathTests {

	@TempDir
	Path dir;

	@Test
	void aDatabasePathPicksThatDatabaseOfTheConfigurationAndIsTheOutput() throws Exception {
		Path app = this.dir.resolve("data").resolve("app.db");
		Path other = this.dir.resolve("data").resolve("other.db");
		List<String> appRows = replicate(app, this.dir.resolve("app-replica"), 0, 5);
		List<String> otherRows = replicate(other, this.dir.resolve("other-replica"), 100, 8);
		Path config = Files.writeString(this.dir.resolve("application.yml"), """
				spring:
				  datasource:
				    url: jdbc:sqlite:%s
				litestream:
				  replicas:
				    - url: file://%s
				  databases:
				    - path: %s
				      replicas:
				        - url: file://%s
				""".formatted(app, this.dir.resolve("app-replica"), other, this.dir.resolve("other-replica")));
		for (Path db : List.of(app, other)) {
			for (String suffix : List.of("", "-wal", "-shm")) {
				Files.deleteIfExists(db.resolveSibling(db.getFileName() + suffix));
			}
		}

		CliRun restoreOther = CliRun.run("restore", "-config", config.toString(), other.toString());
		CliRun restoreApp = CliRun.run("restore", "-config", config.toString(), app.toString());
		CliRun unknown = CliRun.run("restore", "-config", config.toString(), this.dir.resolve("nope.db").toString());

		assertThat(restoreOther.exitCode()).as(restoreOther.describe()).isZero();
		assertThat(TestDatabase.rows(other)).isEqualTo(otherRows);
		assertThat(restoreApp.exitCode()).as(restoreApp.describe()).isZero();
		assertThat(TestDatabase.rows(app)).isEqualTo(appRows);
		assertThat(unknown.exitCode()).as(unknown.describe()).isEqualTo(LitestreamCommand.ERROR);
		assertThat(unknown.err()).contains("database not found in config").contains(other.toString());
	}

	@Test
	void aDatabaseIsChosenByItsNameOrItsFileName() throws Exception {
		Path app = this.dir.resolve("data").resolve("app.db");
		Path events = this.dir.resolve("data").resolve("events.db");
		Path audit = this.dir.resolve("data").resolve("audit.db");
		List<String> appRows = replicate(app, this.dir.resolve("app-replica"), 0, 3);
		List<String> eventRows = replicate(events, this.dir.resolve("events-replica"), 100, 6);
		List<String> auditRows = replicate(audit, this.dir.resolve("audit-replica"), 200, 4);
		Path config = Files.writeString(this.dir.resolve("application.yml"), """
				litestream:
				  path: %s
				  replicas:
				    - url: file://%s
				  databases:
				    - name: events
				      path: %s
				      replicas:
				        - url: file://%s
				    - path: %s
				      replicas:
				        - url: file://%s
				""".formatted(app, this.dir.resolve("app-replica"), events, this.dir.resolve("events-replica"), audit,
				this.dir.resolve("audit-replica")));
		Path eventsOut = this.dir.resolve("events-restored.db");
		Path auditOut = this.dir.resolve("audit-restored.db");

		CliRun byName = CliRun.run("restore", "-config", config.toString(), "-database", "events", "-o",
				eventsOut.toString());
		CliRun byFileName = CliRun.run("restore", "-config", config.toString(), "--database=audit.db", "-o",
				auditOut.toString());
		CliRun listing = CliRun.run("generations", "-config", config.toString(), "-database", "events", "--json");
		CliRun unknown = CliRun.run("restore", "-config", config.toString(), "-database", "nope", "-o",
				this.dir.resolve("nope.db").toString());
		CliRun withPath = CliRun.run("restore", "-config", config.toString(), "-database", "events", app.toString());

		assertThat(byName.exitCode()).as(byName.describe()).isZero();
		assertThat(TestDatabase.rows(eventsOut)).isEqualTo(eventRows).isNotEqualTo(appRows);
		assertThat(byFileName.exitCode()).as(byFileName.describe()).isZero();
		assertThat(TestDatabase.rows(auditOut)).isEqualTo(auditRows);
		assertThat(listing.exitCode()).as(listing.describe()).isZero();
		assertThat(listing.out()).contains("file://" + this.dir.resolve("events-replica"))
			.doesNotContain("app-replica");
		assertThat(unknown.exitCode()).as(unknown.describe()).isEqualTo(LitestreamCommand.ERROR);
		assertThat(unknown.err()).contains("no database named 'nope'").contains("app.db, events, audit.db");
		assertThat(withPath.exitCode()).as(withPath.describe()).isEqualTo(LitestreamCommand.USAGE);
	}

	private static List<String> replicate(Path db, Path replica, int first, int batches) throws Exception {
		Files.createDirectories(db.getParent());
		try (TestDatabase app = new TestDatabase(db);
				Replicator r = Replicated.replicator(db, new FileReplicaClient(replica))) {
			r.start();
			Replicated.write(app, r, first, batches);
			return app.rows();
		}
	}

}
