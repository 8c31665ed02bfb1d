package io.github.litestreamspring.interop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Runs a process to its end while sampling, the same way for a JVM and for Litestream, its peak
 * resident memory ({@code VmHWM} of {@code /proc/<pid>/status}: the kernel's own high-water mark, exact
 * up to the last sample) and its CPU time every 5 ms.
 */
final class MeasuredProcess {

	/** What one process cost: exit code, wall time from start to exit, peak RSS, CPU time. */
	record Result(int exitCode, Duration wall, long peakRssBytes, Duration cpu) {

		double mbPerSecond(long bytes) {
			return bytes / 1_000_000.0 / (this.wall.toNanos() / 1e9);
		}

		String describe(long bytes) {
			return String.format("%.2f s, %.0f MB/s, peak RSS %d MiB, CPU %.2f s, exit %d", this.wall.toNanos() / 1e9,
					mbPerSecond(bytes), this.peakRssBytes >> 20, this.cpu.toNanos() / 1e9, this.exitCode);
		}

	}

	private MeasuredProcess() {
	}

	/** Starts the process with {@code starter} and waits at most {@code timeout} for it to exit. */
	static Result run(Callable<Process> starter, Duration timeout) throws Exception {
		long started = System.nanoTime();
		Process process = starter.call();
		long deadline = started + timeout.toNanos();
		long peakKib = 0;
		Duration cpu = Duration.ZERO;
		while (process.isAlive() && System.nanoTime() < deadline) {
			peakKib = Math.max(peakKib, hwmKib(process.pid()));
			cpu = process.info().totalCpuDuration().orElse(cpu);
			process.waitFor(5, TimeUnit.MILLISECONDS);
		}
		long ended = System.nanoTime();
		if (process.isAlive()) {
			process.destroyForcibly();
			process.waitFor(10, TimeUnit.SECONDS);
			throw new IllegalStateException("process " + process.pid() + " still running after " + timeout);
		}
		return new Result(process.exitValue(), Duration.ofNanos(ended - started), peakKib * 1024, cpu);
	}

	private static long hwmKib(long pid) {
		try {
			for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
				if (line.startsWith("VmHWM:")) {
					return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			// the process just exited
		}
		return 0;
	}

}
