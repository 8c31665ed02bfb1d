package io.github.litestreamspring.interop;

import java.util.List;

/**
 * The outcome of a finished one-shot command.
 *
 * @param command the command line that ran
 * @param exitCode its exit code
 * @param stdout everything it wrote to standard output
 * @param stderr everything it wrote to standard error
 */
public record CommandResult(List<String> command, int exitCode, String stdout, String stderr) {

	public boolean succeeded() {
		return this.exitCode == 0;
	}

	/** Text for assertion messages: the command, its exit code and both streams. */
	public String describe() {
		return String.join(" ", this.command) + "\nexit code: " + this.exitCode + "\n--- stdout ---\n" + this.stdout
				+ "\n--- stderr ---\n" + this.stderr;
	}

	@Override
	public String toString() {
		return describe();
	}

}
