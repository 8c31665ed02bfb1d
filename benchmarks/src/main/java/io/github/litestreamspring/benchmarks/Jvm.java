package io.github.litestreamspring.benchmarks;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a child JVM on this JVM's class path. Every child gets the same flags, stated in
 * docs/benchmarks.md: a 256 MiB heap cap (what a small service would set), otherwise defaults.
 */
final class Jvm {

	static final List<String> FLAGS = List.of("-Xmx256m");

	private Jvm() {
	}

	static Process start(Class<?> main, Path stdout, Path stderr, List<String> args) throws IOException {
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.addAll(FLAGS);
		// Diagnostics only (e.g. -Dlogback.configurationFile=... for DEBUG logs); never set for published runs.
		String extra = System.getenv("BENCH_CHILD_OPTS");
		if (extra != null && !extra.isBlank()) {
			command.addAll(List.of(extra.trim().split("\\s+")));
		}
		command.add("-cp");
		command.add(System.getProperty("java.class.path"));
		command.add(main.getName());
		command.addAll(args);
		return new ProcessBuilder(command).redirectOutput(stdout.toFile())
			.redirectError(stderr.toFile())
			.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
			.start();
	}

}
