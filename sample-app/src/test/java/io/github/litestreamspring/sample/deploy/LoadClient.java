package io.github.litestreamspring.sample.deploy;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A client writing unique tokens ({@code POST /notes}) one after the other, round robin over the
 * current targets as a load balancer would. Bounded in count and time. Every attempt is recorded:
 * acknowledged (2xx) or rejected (any other status, refused connection, timeout), with its times.
 */
final class LoadClient implements AutoCloseable {

	/** One write attempt; times on the test clock ({@link System#currentTimeMillis()}). */
	record Attempt(String token, String instance, long startedAt, long endedAt, int status, String error) {

		boolean acknowledged() {
			return this.status >= 200 && this.status < 300;
		}

	}

	private final String prefix;

	private final int maxWrites;

	private final Duration maxTime;

	private final Duration pause;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	private final List<Attempt> attempts = new CopyOnWriteArrayList<>();

	private final Thread thread;

	private volatile List<AppInstance> targets = List.of();

	private volatile boolean running = true;

	LoadClient(String prefix, int maxWrites, Duration maxTime, Duration pause) {
		this.prefix = prefix;
		this.maxWrites = maxWrites;
		this.maxTime = maxTime;
		this.pause = pause;
		this.thread = new Thread(this::run, "load-" + prefix);
		this.thread.setDaemon(true);
	}

	/** Sends to these instances from now on, alternating. */
	LoadClient target(AppInstance... instances) {
		this.targets = List.of(instances);
		if (this.thread.getState() == Thread.State.NEW) {
			this.thread.start();
		}
		return this;
	}

	/** Stops writing and waits for the write in flight. */
	@Override
	public void close() throws InterruptedException {
		this.running = false;
		this.thread.join(15_000);
	}

	List<Attempt> attempts() {
		return List.copyOf(this.attempts);
	}

	/** Waits until {@code count} more writes have been acknowledged, at most {@code timeout}. */
	boolean awaitAcknowledged(int count, Duration timeout) throws InterruptedException {
		long target = acknowledged().size() + count;
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline && this.thread.isAlive()) {
			if (acknowledged().size() >= target) {
				return true;
			}
			Thread.sleep(20);
		}
		return acknowledged().size() >= target;
	}

	List<Attempt> acknowledged() {
		return this.attempts.stream().filter(Attempt::acknowledged).toList();
	}

	List<Attempt> rejected() {
		return this.attempts.stream().filter((a) -> !a.acknowledged()).toList();
	}

	/**
	 * The longest time the client kept trying without an acknowledgement: between the end of one
	 * acknowledged write and the end of the next (from the first attempt while none was acknowledged).
	 */
	long unavailabilityMillis() {
		long longest = 0;
		Long lastAck = null;
		for (Attempt a : this.attempts) {
			long since = (lastAck != null) ? lastAck : this.attempts.get(0).startedAt();
			if (a.acknowledged()) {
				longest = Math.max(longest, a.endedAt() - since);
				lastAck = a.endedAt();
			}
		}
		if (!this.attempts.isEmpty()) {
			Attempt last = this.attempts.get(this.attempts.size() - 1);
			if (!last.acknowledged()) {
				longest = Math.max(longest, last.endedAt() - ((lastAck != null) ? lastAck : this.attempts.get(0).startedAt()));
			}
		}
		return longest;
	}

	private void run() {
		long deadline = System.nanoTime() + this.maxTime.toNanos();
		int next = 0;
		for (int i = 0; i < this.maxWrites && this.running && System.nanoTime() < deadline; i++) {
			List<AppInstance> to = this.targets;
			if (!to.isEmpty()) {
				AppInstance instance = to.get(next++ % to.size());
				this.attempts.add(write(instance, this.prefix + "-" + i));
			}
			try {
				Thread.sleep(this.pause.toMillis());
			}
			catch (InterruptedException ex) {
				return;
			}
		}
	}

	/** One write, outside the load loop too (e.g. "the survivor ends writable"). */
	Attempt write(AppInstance instance, String token) {
		long start = System.currentTimeMillis();
		if (instance.port() == 0) {
			return new Attempt(token, instance.name(), start, start, 0, "not listening");
		}
		try {
			HttpResponse<String> response = this.http.send(HttpRequest.newBuilder(instance.uri("/notes"))
				.timeout(Duration.ofSeconds(10))
				.header("Content-Type", "text/plain")
				.POST(HttpRequest.BodyPublishers.ofString(token))
				.build(), HttpResponse.BodyHandlers.ofString());
			String body = response.body();
			return new Attempt(token, instance.name(), start, System.currentTimeMillis(), response.statusCode(),
					(response.statusCode() / 100 == 2) ? null : body.substring(0, Math.min(200, body.length())));
		}
		catch (IOException ex) {
			return new Attempt(token, instance.name(), start, System.currentTimeMillis(), 0, ex.toString());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return new Attempt(token, instance.name(), start, System.currentTimeMillis(), 0, "interrupted");
		}
	}

}
