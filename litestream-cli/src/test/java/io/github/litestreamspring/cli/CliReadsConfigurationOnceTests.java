package io.github.litestreamspring.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A command reads and binds the application's configuration once: Boot's config-data processing is the
 * largest part of the CLI's start-up, and a restore without {@code -o} needs the configuration twice
 * (for the output path and for the replicas).
 */
class CliReadsConfigurationOnceTests {

	@TempDir
	Path dir;

	@Test
	void theSelectionReadsTheConfigurationFileOnce() throws Exception {
		ReplicaSelection selection = new ReplicaSelection();
		selection.config = Files.writeString(this.dir.resolve("application.yml"), """
				litestream:
				  path: /data/app.db
				  replicas:
				    - url: file:///replica
				""");

		CliConfiguration first = selection.configuration(Map.of());

		assertThat(selection.configuration(Map.of())).isSameAs(first);
		assertThat(first.litestream()).isSameAs(first.litestream());
		assertThat(selection.database(first).path()).isEqualTo(Path.of("/data/app.db"));
	}

}
