package io.github.litestreamspring.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.autoconfigure.LitestreamProperties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CLI binds {@code litestream.*} as Spring Boot does: relaxed names, environment, placeholders, profiles. */
class CliConfigurationTests {

	@TempDir
	Path dir;

	@Test
	void bindsRelaxedNamesFromYaml() throws Exception {
		Path yaml = Files.writeString(this.dir.resolve("application.yml"), """
				litestream:
				  path: /data/app.db
				  replicas:
				    - url: s3://bucket/db
				      forcePathStyle: true
				      sync_interval: 5s
				""");

		LitestreamProperties p = CliConfiguration.load(yaml, Map.of(), List.of()).litestream();

		assertThat(p.getPath()).isEqualTo(Path.of("/data/app.db"));
		assertThat(p.getReplicas()).singleElement().satisfies((r) -> {
			assertThat(r.getUrl()).isEqualTo("s3://bucket/db");
			assertThat(r.getForcePathStyle()).isTrue();
			assertThat(r.getSyncInterval()).isEqualTo(Duration.ofSeconds(5));
		});
	}

	@Test
	void environmentVariablesOverrideTheFileAndFillPlaceholders() throws Exception {
		Path properties = Files.writeString(this.dir.resolve("application.properties"), """
				litestream.replicas[0].url=file:///from-file
				spring.datasource.url=jdbc:sqlite:${DATA_DIR:/var/lib/app}/app.db
				""");

		CliConfiguration c = CliConfiguration.load(properties,
				Map.of("LITESTREAM_REPLICAS_0_URL", "file:///from-env", "DATA_DIR", "/srv"), List.of());

		assertThat(c.litestream().getReplicas()).singleElement()
			.extracting(LitestreamProperties.Replica::getUrl)
			.isEqualTo("file:///from-env");
		assertThat(c.databasePath()).contains(Path.of("/srv/app.db"));
		assertThat(CliConfiguration.load(properties, Map.of(), List.of()).databasePath())
			.contains(Path.of("/var/lib/app/app.db"));
	}

	@Test
	void profileDocumentsApplyOnlyWhenTheirProfileIsActive() throws Exception {
		Path yaml = Files.writeString(this.dir.resolve("application.yml"), """
				litestream:
				  path: /default.db
				---
				spring.config.activate.on-profile: prod
				litestream:
				  path: /prod.db
				""");

		assertThat(CliConfiguration.load(yaml, Map.of(), List.of()).databasePath()).contains(Path.of("/default.db"));
		assertThat(CliConfiguration.load(yaml, Map.of(), List.of("prod")).databasePath())
			.contains(Path.of("/prod.db"));
		assertThat(CliConfiguration.load(yaml, Map.of("SPRING_PROFILES_ACTIVE", "prod"), List.of()).databasePath())
			.contains(Path.of("/prod.db"));
	}

	@Test
	void aMissingFileIsAnError() {
		assertThatThrownBy(() -> CliConfiguration.load(this.dir.resolve("nope.yml"), Map.of(), List.of()))
			.isInstanceOf(CliException.class)
			.hasMessageContaining("nope.yml does not exist");
	}

	@Test
	void restoreWithConfigAndNoReplicaSaysWhatToSet() throws Exception {
		Path yaml = Files.writeString(this.dir.resolve("application.yml"), "litestream:\n  path: /tmp/x.db\n");

		CliRun run = CliRun.run("restore", "-config", yaml.toString(), "-o", this.dir.resolve("o.db").toString());

		assertThat(run.exitCode()).as(run.describe()).isEqualTo(1);
		assertThat(run.err()).contains("no replica is configured").contains("litestream.replicas[0].url");
	}

}
