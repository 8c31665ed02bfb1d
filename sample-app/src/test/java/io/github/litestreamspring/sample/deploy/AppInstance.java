package io.github.litestreamspring.sample.deploy;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.litestreamspring.sample.SampleApplication;

/**
 * One instance of the sample application in a JVM of its own (the test class path), as a pod of a
 * Deployment would run it: its own data directory, the shared replica, probes enabled. Its output goes
 * to {@code log} (so a SIGKILL loses nothing already written); a poller records every change of its
 * readiness and liveness probes with the time it was seen.
 */
final class AppInstance implements AutoCloseable {

	/** Probe states as the poller saw them: the Boot states, or that nothing answered. */
	enum Probe {

		NOT_LISTENING, ACCEPTING_TRAFFIC, REFUSING_TRAFFIC, CORRECT, BROKEN, ERROR

	}

	/** A probe state seen from {@code atMillis} (test clock, {@link System#currentTimeMillis()}). */
	record Change(long atMillis, String probe, Probe state) {
	}

	private static final Pattern PORT = Pattern.compile("started on port (\\d+)");

	private static final Duration POLL = Duration.ofMillis(100);

	private final String name;

	private final Path log;

	private final Process process;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	private final List<Change> changes = new CopyOnWriteArrayList<>();

	private final Thread poller;

	private volatile int port;

	private volatile boolean polling = true;

	private AppInstance(String name, Path log, Process process) {
		this.name = name;
		this.log = log;
		this.process = process;
		this.poller = new Thread(this::poll, "probes-" + name);
		this.poller.setDaemon(true);
		this.poller.start();
	}

	/**
	 * Starts the sample with {@code settings} (Spring properties, without {@code --}) on top of the
	 * deploy settings every instance shares.
	 */
	static AppInstance start(String name, Path workDir, List<String> settings) throws IOException {
		Files.createDirectories(workDir);
		Path log = workDir.resolve(name + ".log");
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.add("-Xmx256m");
		command.add("-XX:+UseSerialGC");
		command.add("-XX:TieredStopAtLevel=1");
		command.add("-Xshare:auto");
		command.add("-cp");
		command.add(System.getProperty("java.class.path"));
		command.add(SampleApplication.class.getName());
		settings.forEach((s) -> command.add("--" + s));
		Process process = new ProcessBuilder(command).redirectErrorStream(true)
			.redirectOutput(log.toFile())
			.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
			.start();
		return new AppInstance(name, log, process);
	}

	String name() {
		return this.name;
	}

	long pid() {
		return this.process.pid();
	}

	boolean isAlive() {
		return this.process.isAlive();
	}

	/** The HTTP port once the web server has started, else 0. */
	int port() {
		if (this.port == 0) {
			try {
				Matcher m = PORT.matcher(Files.readString(this.log));
				if (m.find()) {
					this.port = Integer.parseInt(m.group(1));
				}
			}
			catch (IOException ex) {
				// not written yet
			}
		}
		return this.port;
	}

	URI uri(String path) {
		return URI.create("http://127.0.0.1:" + port() + path);
	}

	/** Waits until readiness is ACCEPTING_TRAFFIC; false if the process exits or the time passes first. */
	boolean awaitReady(Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline && isAlive()) {
			if (firstReadyAt() > 0) {
				return true;
			}
			Thread.sleep(20);
		}
		return firstReadyAt() > 0;
	}

	/** When readiness was first seen ACCEPTING_TRAFFIC (test clock), or 0. */
	long firstReadyAt() {
		return this.changes.stream()
			.filter((c) -> c.probe().equals("readiness") && c.state() == Probe.ACCEPTING_TRAFFIC)
			.mapToLong(Change::atMillis)
			.findFirst()
			.orElse(0);
	}

	/** Whether readiness was seen REFUSING_TRAFFIC after it had been ACCEPTING_TRAFFIC (the gate left open). */
	boolean refusedAfterReady() {
		boolean ready = false;
		for (Change c : this.changes) {
			if (c.probe().equals("readiness")) {
				if (c.state() == Probe.ACCEPTING_TRAFFIC) {
					ready = true;
				}
				else if (ready && c.state() == Probe.REFUSING_TRAFFIC) {
					return true;
				}
			}
		}
		return false;
	}

	/** Waits until the web server listens (the port is in the log). */
	boolean awaitListening(Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline && isAlive()) {
			if (port() > 0) {
				return true;
			}
			Thread.sleep(20);
		}
		return port() > 0;
	}

	List<Change> changes() {
		return List.copyOf(this.changes);
	}

	/** Graceful stop, as Kubernetes does it: SIGTERM, then wait (bounded). Returns the exit code. */
	int stop(Duration timeout) throws InterruptedException {
		this.process.destroy();
		if (!this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
			this.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			stopPolling();
			throw new AssertionError(this.name + " did not stop within " + timeout + " of SIGTERM\n" + tail(60));
		}
		stopPolling();
		return this.process.exitValue();
	}

	/**
	 * SIGSTOP: the process is frozen where it is (no request, no renewal, no write) until
	 * {@link #resume()} or {@link #kill()}; from outside, the same as dead. The deploy tests use it to
	 * stop an instance at a precise step and check what it had done before killing it.
	 */
	void freeze() throws IOException, InterruptedException {
		signal("STOP");
	}

	/** SIGCONT after {@link #freeze()}. */
	void resume() throws IOException, InterruptedException {
		signal("CONT");
	}

	private void signal(String name) throws IOException, InterruptedException {
		Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).redirectErrorStream(true).start();
		if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
			throw new AssertionError("kill -" + name + " " + pid() + " failed: "
					+ new String(kill.getInputStream().readAllBytes()));
		}
	}

	/** Whether the instance's log has a line containing {@code text} so far. */
	boolean logContains(String text) {
		try {
			return Files.readString(this.log).contains(text);
		}
		catch (IOException ex) {
			return false;
		}
	}

	/** Whether Boot had finished starting (readiness comes right after this line). */
	boolean started() {
		return logContains("Started SampleApplication");
	}

	/** Starts the test-only {@link WriteHolds} in the instance: a write transaction open at every moment. */
	void startWriteHolds(Duration hold, Duration total) throws IOException, InterruptedException {
		HttpResponse<String> response = this.http.send(
				HttpRequest.newBuilder(uri("/deploy-test/write-holds?holdMillis=" + hold.toMillis() + "&forMillis="
						+ total.toMillis()))
					.timeout(Duration.ofSeconds(10))
					.POST(HttpRequest.BodyPublishers.noBody())
					.build(),
				HttpResponse.BodyHandlers.ofString());
		if (response.statusCode() != 200) {
			throw new AssertionError(this.name + ": write holds not started: " + response.statusCode() + " "
					+ response.body());
		}
	}

	/** SIGKILL: no shutdown hook, no final sync. */
	void kill() throws InterruptedException {
		this.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
		stopPolling();
	}

	private void stopPolling() throws InterruptedException {
		this.polling = false;
		this.poller.join(5_000);
	}

	/** The last {@code lines} lines of the instance's log, for failure messages. */
	String tail(int lines) {
		try {
			List<String> all = Files.readAllLines(this.log);
			return "--- " + this.log + " (last " + lines + " lines) ---\n"
					+ String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
		}
		catch (IOException ex) {
			return "--- " + this.log + " unreadable: " + ex;
		}
	}

	private void poll() {
		Probe readiness = null;
		Probe liveness = null;
		while (this.polling && this.process.isAlive()) {
			Probe r = probe("/actuator/health/readiness");
			Probe l = probe("/actuator/health/liveness");
			if (!this.process.isAlive()) {
				break; // a refused connection from a dead process says nothing about its probes
			}
			long now = System.currentTimeMillis();
			if (r != readiness) {
				this.changes.add(new Change(now, "readiness", r));
				readiness = r;
			}
			if (l != liveness) {
				this.changes.add(new Change(now, "liveness", l));
				liveness = l;
			}
			try {
				Thread.sleep(POLL.toMillis());
			}
			catch (InterruptedException ex) {
				return;
			}
		}
	}

	private Probe probe(String path) {
		if (port() == 0) {
			return Probe.NOT_LISTENING;
		}
		try {
			HttpResponse<String> response = this.http.send(
					HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(2)).GET().build(),
					HttpResponse.BodyHandlers.ofString());
			String body = response.body();
			for (Probe p : Probe.values()) {
				if (body.contains("\"" + p.name() + "\"")) {
					return p;
				}
			}
			// Boot maps the states to UP/OUT_OF_SERVICE/DOWN.
			if (path.endsWith("readiness")) {
				return body.contains("\"UP\"") ? Probe.ACCEPTING_TRAFFIC
						: (body.contains("OUT_OF_SERVICE") ? Probe.REFUSING_TRAFFIC : Probe.ERROR);
			}
			return body.contains("\"UP\"") ? Probe.CORRECT : (body.contains("\"DOWN\"") ? Probe.BROKEN : Probe.ERROR);
		}
		catch (IOException ex) {
			return Probe.NOT_LISTENING;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return Probe.ERROR;
		}
	}

	@Override
	public void close() throws InterruptedException {
		if (this.process.isAlive()) {
			kill();
		}
		stopPolling();
	}

	@Override
	public String toString() {
		return this.name + " (pid " + pid() + ", port " + this.port + ")";
	}

}
