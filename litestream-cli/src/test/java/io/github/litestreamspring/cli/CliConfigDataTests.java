package io.github.litestreamspring.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.autoconfigure.LitestreamProperties;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI reads the configuration with Spring Boot's own config data loading, so what the application
 * would see is what the CLI sees: profile files, profile expressions, {@code spring.config.import} of a
 * config tree, and environment variables of the real process.
 */
class CliConfigDataTests {

	@TempDir
	Path dir;

	@Test
	void aProfileFileBesideTheConfigurationAppliesWhenItsProfileIsActive() throws Exception {
		Path yaml = Files.writeString(this.dir.resolve("application.yml"), "litestream.path: /default.db\n");
		Files.writeString(this.dir.resolve("application-prod.yml"), "litestream.path: /prod.db\n");

		assertThat(CliConfiguration.load(yaml, Map.of(), List.of()).databasePath()).contains(Path.of("/default.db"));
		assertThat(CliConfiguration.load(yaml, Map.of(), List.of("prod")).databasePath()).contains(Path.of("/prod.db"));
		assertThat(CliConfiguration.load(yaml, Map.of("SPRING_PROFILES_ACTIVE", "prod"), List.of()).databasePath())
			.contains(Path.of("/prod.db"));
	}

	@Test
	void profileExpressionsAndProfilesActivatedInTheFileResolveAsInSpringBoot() throws Exception {
		Path yaml = Files.writeString(this.dir.resolve("application.yml"), """
				spring.profiles.active: prod
				litestream.path: /default.db
				---
				spring.config.activate.on-profile: "prod & eu"
				litestream.path: /prod-eu.db
				---
				spring.config.activate.on-profile: "!prod"
				litestream.path: /not-prod.db
				""");

		assertThat(CliConfiguration.load(yaml, Map.of(), List.of()).databasePath()).contains(Path.of("/default.db"));
		assertThat(CliConfiguration.load(yaml, Map.of(), List.of("prod", "eu")).databasePath())
			.contains(Path.of("/prod-eu.db"));
		assertThat(CliConfiguration.load(yaml, Map.of(), List.of("dev")).databasePath())
			.contains(Path.of("/not-prod.db"));
	}

	@Test
	void aConfigTreeImportSuppliesPropertiesFromFileNames() throws Exception {
		// A mounted Kubernetes secret: one file per property, the file name is the property name.
		Path tree = Files.createDirectories(this.dir.resolve("secrets"));
		Files.writeString(tree.resolve("spring.datasource.url"), "jdbc:sqlite:/from/tree.db");
		Files.writeString(Files.createDirectories(tree.resolve("litestream")).resolve("replicas[0].url"),
				"file:///from/tree");
		Path yaml = Files.writeString(this.dir.resolve("application.yml"), """
				spring.config.import: configtree:%s/
				""".formatted(this.dir.resolve("secrets")));

		CliConfiguration configuration = CliConfiguration.load(yaml, Map.of(), List.of());

		assertThat(configuration.databasePath()).contains(Path.of("/from/tree.db"));
		assertThat(configuration.litestream().getReplicas()).singleElement()
			.extracting(LitestreamProperties.Replica::getUrl)
			.isEqualTo("file:///from/tree");
	}

	@Test
	void theProcessEnvironmentChoosesTheProfileAndOverridesTheReplica() throws Exception {
		Path db = this.dir.resolve("app.db");
		Path replica = this.dir.resolve("replica");
		List<String> expected;
		try (TestDatabase app = new TestDatabase(db);
				Replicator r = Replicated.replicator(db, new FileReplicaClient(replica))) {
			r.start();
			Replicated.write(app, r, 0, 5);
			expected = app.rows();
		}
		Path restored = this.dir.resolve("restored").resolve("app.db");
		Path yaml = Files.writeString(this.dir.resolve("application.yml"), """
				litestream:
				  path: /nowhere/default.db
				  replicas:
				    - url: file:///nowhere/replica
				""");
		Files.writeString(this.dir.resolve("application-restore.yml"), "litestream.path: " + restored + "\n");
		Files.createDirectories(restored.getParent());

		CliRun run = CliRun.inChildJvm(
				Map.of("SPRING_PROFILES_ACTIVE", "restore", "LITESTREAM_REPLICAS_0_URL", "file://" + replica),
				this.dir, "restore", "-config", yaml.toString());

		assertThat(run.exitCode()).as(run.describe()).isZero();
		assertThat(run.out()).startsWith("restored " + restored);
		assertThat(TestDatabase.rows(restored)).isEqualTo(expected);
	}

}
