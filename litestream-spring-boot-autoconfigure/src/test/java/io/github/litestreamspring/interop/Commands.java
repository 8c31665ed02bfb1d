package io.github.litestreamspring.interop;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a short-lived external command with a hard time limit.
 */
public final class Commands {

	private Commands() {
	}

	/**
	 * Runs {@code command} in {@code workDir} and waits at most {@code timeout} for it.
	 * @throws IllegalStateException if it cannot be started or does not finish in time (the
	 * message carries whatever it printed so far)
	 */
	public static CommandResult run(List<String> command, Path workDir, Duration timeout) {
		Path out = null;
		Path err = null;
		try {
			// Files rather than pipes: no reader threads, and no deadlock on chatty output.
			out = Files.createTempFile("cmd-", ".out");
			err = Files.createTempFile("cmd-", ".err");
			ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile())
				.redirectError(err.toFile())
				.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
			if (workDir != null) {
				builder.directory(workDir.toFile());
			}
			Process process = builder.start();
			boolean finished;
			try {
				finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				process.destroyForcibly();
				throw new IllegalStateException("Interrupted while running " + command, ex);
			}
			if (!finished) {
				process.destroyForcibly();
				waitQuietly(process);
				throw new IllegalStateException("Timed out after " + timeout + ": "
						+ new CommandResult(command, -1, read(out), read(err)).describe());
			}
			return new CommandResult(command, process.exitValue(), read(out), read(err));
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot run " + command, ex);
		}
		finally {
			deleteQuietly(out);
			deleteQuietly(err);
		}
	}

	private static void waitQuietly(Process process) {
		try {
			process.waitFor(5, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static String read(Path file) throws IOException {
		// Lenient decoding: a stray invalid byte must not hide the rest of the output.
		return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
	}

	private static void deleteQuietly(Path file) {
		if (file != null) {
			try {
				Files.deleteIfExists(file);
			}
			catch (IOException ex) {
				// a leftover temp file is harmless
			}
		}
	}

}
