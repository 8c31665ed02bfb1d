package io.github.litestreamspring.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Samples one process's CPU time and resident memory from {@code /proc} every few milliseconds, the
 * same way for a JVM and for Litestream. {@code VmHWM} is the kernel's own high-water mark, so the
 * peak is exact up to the last sample before the process exits.
 */
final class ProcessSampler implements AutoCloseable {

	/** One sample: wall clock (epoch millis), CPU time so far (nanos), peak RSS so far (KiB). */
	record Sample(long epochMillis, long cpuNanos, long hwmKib) {
	}

	private final long pid;

	private final long periodMillis;

	private final List<Sample> samples = new ArrayList<>();

	private final Thread thread;

	private volatile boolean stopped;

	ProcessSampler(long pid, long periodMillis) {
		this.pid = pid;
		this.periodMillis = periodMillis;
		this.thread = new Thread(this::run, "sampler-" + pid);
		this.thread.setDaemon(true);
		this.thread.start();
	}

	private void run() {
		ProcessHandle handle = ProcessHandle.of(this.pid).orElse(null);
		while (!this.stopped && handle != null && handle.isAlive()) {
			Optional<Duration> cpu = handle.info().totalCpuDuration();
			long hwm = hwmKib(this.pid);
			if (cpu.isPresent() && hwm > 0) {
				synchronized (this.samples) {
					this.samples.add(new Sample(System.currentTimeMillis(), cpu.get().toNanos(), hwm));
				}
			}
			try {
				Thread.sleep(this.periodMillis);
			}
			catch (InterruptedException ex) {
				return;
			}
		}
	}

	/** Peak resident set size seen, in bytes. */
	long peakRssBytes() {
		synchronized (this.samples) {
			return this.samples.stream().mapToLong(Sample::hwmKib).max().orElse(0) * 1024;
		}
	}

	/** CPU time used by {@code epochMillis}: the last sample at or before it (the first one if none). */
	long cpuNanosAt(long epochMillis) {
		synchronized (this.samples) {
			long cpu = this.samples.isEmpty() ? 0 : this.samples.get(0).cpuNanos();
			for (Sample s : this.samples) {
				if (s.epochMillis() > epochMillis) {
					break;
				}
				cpu = s.cpuNanos();
			}
			return cpu;
		}
	}

	static long hwmKib(long pid) {
		try {
			for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
				if (line.startsWith("VmHWM:")) {
					return Long.parseLong(line.replaceAll("[^0-9]", ""));
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			// the process exited between two reads
		}
		return 0;
	}

	@Override
	public void close() {
		this.stopped = true;
		this.thread.interrupt();
		try {
			this.thread.join(1000);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
