package io.github.litestreamspring.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine;

/**
 * Runs the CLI in-process with a given environment (or in a child JVM) and captured stdout and stderr.
 *
 * @param exitCode what {@code main} would exit with
 * @param out standard output
 * @param err standard error
 */
record CliRun(int exitCode, String out, String err) {

	/** As {@code main} runs: the command line built for {@code args}. */
	static CliRun run(Map<String, String> env, String... args) {
		StringWriter out = new StringWriter();
		StringWriter err = new StringWriter();
		CommandLine cli = LitestreamCommand.commandLine(env, args);
		cli.setOut(new PrintWriter(out, true));
		cli.setErr(new PrintWriter(err, true));
		int code = cli.execute(args);
		return new CliRun(code, out.toString(), err.toString());
	}

	static CliRun run(String... args) {
		return run(Map.of(), args);
	}

	/**
	 * Runs the CLI as an operator does, in a JVM of its own whose process environment is the current one
	 * plus {@code env}; gives up after a minute.
	 * @param workDir where stdout and stderr are captured
	 */
	static CliRun inChildJvm(Map<String, String> env, Path workDir, String... args)
			throws IOException, InterruptedException {
		List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
				LitestreamCommand.class.getName()));
		command.addAll(List.of(args));
		Path stdout = workDir.resolve("child-stdout");
		Path stderr = workDir.resolve("child-stderr");
		ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile())
			.redirectError(stderr.toFile())
			.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
		builder.environment().putAll(env);
		Process process = builder.start();
		if (!process.waitFor(60, TimeUnit.SECONDS)) {
			process.destroyForcibly();
			throw new AssertionError("the CLI did not finish within a minute: " + Files.readString(stderr));
		}
		return new CliRun(process.exitValue(), Files.readString(stdout), Files.readString(stderr));
	}

	/** For assertion messages. */
	String describe() {
		return "exit code " + this.exitCode + "\n--- stdout ---\n" + this.out + "\n--- stderr ---\n" + this.err;
	}

}
