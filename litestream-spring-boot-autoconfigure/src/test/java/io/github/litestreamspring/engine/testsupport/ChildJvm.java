package io.github.litestreamspring.engine.testsupport;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a {@code main} class of the test sources in a separate JVM, with the test class path, its
 * standard output and error going to files (so a SIGKILL loses nothing that was already written and
 * no pipe has to be drained). The engine's logging goes to standard error at INFO so that standard
 * output carries only the child's protocol lines.
 */
public final class ChildJvm {

	private ChildJvm() {
	}

	/**
	 * @param workDir where the logging configuration is written
	 * @param stdout file receiving standard output (truncated)
	 * @param stderr file receiving standard error (truncated)
	 */
	public static Process start(Class<?> mainClass, Path workDir, Path stdout, Path stderr, String... args)
			throws IOException {
		return start(mainClass, List.of(), workDir, stdout, stderr, args);
	}

	/**
	 * {@link #start(Class, Path, Path, Path, String...)} with extra JVM options, placed after the
	 * defaults so that they win (e.g. {@code -Xmx64m} to prove a child's memory is bounded).
	 */
	public static Process start(Class<?> mainClass, List<String> jvmOptions, Path workDir, Path stdout, Path stderr,
			String... args) throws IOException {
		Path logback = workDir.resolve("child-logback.xml");
		if (!Files.exists(logback)) {
			Files.writeString(logback, """
					<configuration>
					  <appender name="ERR" class="ch.qos.logback.core.ConsoleAppender">
					    <target>System.err</target>
					    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n</pattern></encoder>
					  </appender>
					  <root level="INFO"><appender-ref ref="ERR"/></root>
					</configuration>
					""");
		}
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.add("-Xmx128m");
		// Start fast: the children live for a second or two each.
		command.add("-XX:TieredStopAtLevel=1");
		command.add("-Xshare:auto");
		command.add("-Dlogback.configurationFile=" + logback);
		command.addAll(jvmOptions);
		command.add("-cp");
		command.add(System.getProperty("java.class.path"));
		command.add(mainClass.getName());
		command.addAll(List.of(args));
		return new ProcessBuilder(command).redirectOutput(stdout.toFile())
			.redirectError(stderr.toFile())
			.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
			.start();
	}

	/**
	 * Waits until {@code file} holds a line starting with {@code prefix}, the process exits, or
	 * {@code timeout} passes; returns whether the line appeared.
	 */
	public static boolean awaitLine(Process process, Path file, String prefix, Duration timeout)
			throws IOException, InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			if (lines(file).stream().anyMatch(l -> l.startsWith(prefix))) {
				return true;
			}
			if (!process.isAlive()) {
				return lines(file).stream().anyMatch(l -> l.startsWith(prefix));
			}
			Thread.sleep(10);
		}
		return false;
	}

	/** Every complete line of {@code file}; a line cut short by a kill is dropped. */
	public static List<String> lines(Path file) throws IOException {
		if (!Files.exists(file)) {
			return List.of();
		}
		String text = Files.readString(file);
		int end = text.lastIndexOf('\n');
		return (end < 0) ? List.of() : List.of(text.substring(0, end).split("\n"));
	}

	/** The whole of {@code file} for assertion messages, or a note that it is missing. */
	public static String describe(Path file) throws IOException {
		return Files.exists(file) ? file + ":\n" + Files.readString(file) : file + " (missing)";
	}

}
