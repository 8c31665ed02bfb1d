package io.github.litestreamspring.interop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A background {@code litestream replicate -config <file>} for one database and one replica.
 * Its stdout and stderr go to {@code litestream.log} in the work directory, readable with
 * {@link #log()} for assertions and failure messages. {@link #close()} stops it gracefully:
 * Litestream performs a final sync on SIGTERM.
 */
public final class LitestreamProcess implements AutoCloseable {

	/** How long {@link #close()} waits for a graceful exit before killing. */
	public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(15);

	private static final long POLL_MILLIS = 50;

	private final Process process;

	private final Path configFile;

	private final Path logFile;

	private LitestreamProcess(Process process, Path configFile, Path logFile) {
		this.process = process;
		this.configFile = configFile;
		this.logFile = logFile;
	}

	/** Starts a configuration for a file replica in {@code replicaDir}; finish with {@code start(workDir)}. */
	public static LitestreamConfig fileReplica(Path database, Path replicaDir) {
		return LitestreamConfig.fileReplica(database, replicaDir);
	}

	/** Starts a configuration for an S3 replica; finish with {@code start(workDir)}. */
	public static LitestreamConfig s3Replica(Path database, LitestreamConfig.S3Replica replica) {
		return LitestreamConfig.s3Replica(database, replica);
	}

	/**
	 * Writes {@code config} to {@code workDir/litestream.yml} and launches Litestream.
	 * @param config what to replicate
	 * @param workDir directory for the config and log files (created if absent)
	 * @return the running process
	 */
	public static LitestreamProcess start(LitestreamConfig config, Path workDir) {
		try {
			Files.createDirectories(workDir);
			Path configFile = config.writeTo(workDir.resolve("litestream.yml"));
			Path logFile = workDir.resolve("litestream.log");
			ProcessBuilder builder = new ProcessBuilder(
					List.of(LitestreamBinary.get().toString(), "replicate", "-config", configFile.toString()))
				.directory(workDir.toFile())
				.redirectErrorStream(true)
				.redirectOutput(logFile.toFile());
			// Keep the host's AWS settings from leaking into a test (e.g. a profile or real keys).
			builder.environment().keySet().removeIf((name) -> name.startsWith("AWS_") || name.startsWith("LITESTREAM_"));
			return new LitestreamProcess(builder.start(), configFile, logFile);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot start litestream replicate in " + workDir, ex);
		}
	}

	public Path configFile() {
		return this.configFile;
	}

	public Path logFile() {
		return this.logFile;
	}

	public boolean isAlive() {
		return this.process.isAlive();
	}

	public long pid() {
		return this.process.pid();
	}

	/** Everything Litestream has logged so far (stdout and stderr interleaved). */
	public String log() {
		try {
			return new String(Files.readAllBytes(this.logFile), StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			return "<cannot read " + this.logFile + ": " + ex + ">";
		}
	}

	/**
	 * Polls the log until {@code condition} holds.
	 * @return {@code true} if it held within {@code timeout}, {@code false} if not or if the
	 * process exited first
	 */
	public boolean awaitLog(Predicate<String> condition, Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (true) {
			if (condition.test(log())) {
				return true;
			}
			if (!this.process.isAlive() || System.nanoTime() - deadline >= 0) {
				return condition.test(log());
			}
			sleep();
		}
	}

	/** Stops gracefully, waiting up to {@link #DEFAULT_STOP_TIMEOUT}; see {@link #stop(Duration)}. */
	public int stop() {
		return stop(DEFAULT_STOP_TIMEOUT);
	}

	/**
	 * Sends SIGTERM, which makes Litestream run a final sync and exit, and waits for it; kills it
	 * if it is still running after {@code timeout}.
	 * <p>
	 * Observed with v0.3.13: the exit code is 0 after a clean shutdown, but 1 (log line
	 * {@code "failed to run" error="checkpoint: mode=PASSIVE err=release read lock: context
	 * canceled"}) when a checkpoint was due at shutdown; the final sync has still happened then.
	 * @return the exit code, {@code 137} if it had to be killed, {@code -1} if it still runs
	 */
	public int stop(Duration timeout) {
		this.process.destroy();
		try {
			if (!this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
				this.process.destroyForcibly();
				this.process.waitFor(5, TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			this.process.destroyForcibly();
		}
		return this.process.isAlive() ? -1 : this.process.exitValue();
	}

	@Override
	public void close() {
		if (this.process.isAlive()) {
			stop();
		}
	}

	private static void sleep() {
		try {
			Thread.sleep(POLL_MILLIS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for Litestream", ex);
		}
	}

}
