package io.github.litestreamspring.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import picocli.CommandLine;

/**
 * Runs the CLI in-process with a given environment and captured stdout and stderr.
 *
 * @param exitCode what {@code main} would exit with
 * @param out standard output
 * @param err standard error
 */
record CliRun(int exitCode, String out, String err) {

	static CliRun run(Map<String, String> env, String... args) {
		StringWriter out = new StringWriter();
		StringWriter err = new StringWriter();
		CommandLine cli = LitestreamCommand.commandLine(env);
		cli.setOut(new PrintWriter(out, true));
		cli.setErr(new PrintWriter(err, true));
		int code = cli.execute(args);
		return new CliRun(code, out.toString(), err.toString());
	}

	static CliRun run(String... args) {
		return run(Map.of(), args);
	}

	/** For assertion messages. */
	String describe() {
		return "exit code " + this.exitCode + "\n--- stdout ---\n" + this.out + "\n--- stderr ---\n" + this.err;
	}

}
