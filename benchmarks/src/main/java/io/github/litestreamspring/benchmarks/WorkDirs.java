package io.github.litestreamspring.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** The benchmark's work directories: each run starts from empty ones, whatever an earlier run left. */
final class WorkDirs {

	private WorkDirs() {
	}

	/** Deletes {@code dir} and everything under it, if it exists. */
	static void deleteTree(Path dir) throws IOException {
		if (!Files.exists(dir)) {
			return;
		}
		try (var paths = Files.walk(dir)) {
			for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(p);
			}
		}
	}

}
