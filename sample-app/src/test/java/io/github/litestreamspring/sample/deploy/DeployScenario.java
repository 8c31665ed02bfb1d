package io.github.litestreamspring.sample.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.assertj.core.api.SoftAssertions;

import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;

/**
 * What every deploy test shares: one S3 server on loopback (S3Proxy, child process), one replica path,
 * application instances started as child JVMs with the same deploy settings, a load client, and the
 * verification of the replica's latest state against what the client saw acknowledged. Everything it
 * starts is stopped by {@link #close()}; the logs and the report stay under {@code target/deploy-tests}.
 */
final class DeployScenario implements AutoCloseable {

	/** Lease TTL of the instances: short, so that the crash cases take seconds, not minutes. */
	static final Duration LEASE_TTL = Duration.ofSeconds(3);

	/** The final sync's budget on SIGTERM (Boot's per-phase shutdown timeout). */
	static final Duration SHUTDOWN_PHASE = Duration.ofSeconds(20);

	static final Duration SYNC_INTERVAL = Duration.ofMillis(100);

	private static final String BUCKET = "deploy";

	final Path work;

	final ReplicaInspection replica;

	final LoadClient load;

	private final S3ProxyServer server;

	private final List<AppInstance> instances = new ArrayList<>();

	private final Set<String> extraAcknowledged = new LinkedHashSet<>();

	private final List<String> report = new ArrayList<>();

	DeployScenario(String testName) throws IOException {
		// A fresh directory each run: the instances must start on empty data directories, and the
		// restores must not find the previous run's files.
		this.work = Path.of("target", "deploy-tests", testName).toAbsolutePath();
		deleteRecursively(this.work);
		Files.createDirectories(this.work);
		this.server = S3ProxyServer.shared();
		this.server.createBucket(BUCKET);
		this.replica = new ReplicaInspection(this.server, BUCKET, testName + "-" + UUID.randomUUID() + "/notes.db");
		// Bounded: at most 20,000 writes and 100 s; a pause of 10 ms between writes (about 60-90 writes/s here).
		this.load = new LoadClient(testName, 20_000, Duration.ofSeconds(100), Duration.ofMillis(10));
		note("replica " + this.replica.url() + ", lease TTL " + LEASE_TTL + ", sync interval " + SYNC_INTERVAL);
	}

	/** Starts an instance on a fresh, empty data directory of its own, with {@code extra} settings added. */
	AppInstance start(String name, String... extra) throws IOException {
		Path data = Files.createDirectories(this.work.resolve(name + "-data"));
		List<String> settings = new ArrayList<>(List.of("sample.embedded-s3.enabled=false", "sample.data-dir=" + data,
				"spring.cloud.aws.s3.endpoint=" + this.server.endpoint(),
				"spring.cloud.aws.credentials.access-key=" + S3ProxyServer.ACCESS_KEY,
				"spring.cloud.aws.credentials.secret-key=" + S3ProxyServer.SECRET_KEY, "server.port=0",
				"server.address=127.0.0.1", "management.endpoint.health.probes.enabled=true",
				"spring.lifecycle.timeout-per-shutdown-phase=" + SHUTDOWN_PHASE.toSeconds() + "s",
				"litestream.lease.ttl=" + LEASE_TTL.toSeconds() + "s", "litestream.monitor-interval=100ms",
				// A list bound from the command line replaces the YAML one, so the URL is repeated here.
				"litestream.replicas[0].url=" + this.replica.url(),
				"litestream.replicas[0].sync-interval=" + SYNC_INTERVAL.toMillis() + "ms",
				// The test-only WriteHolds endpoint (idle until called).
				"deploy-test.write-holds=true"));
		settings.addAll(List.of(extra));
		AppInstance instance = AppInstance.start(name, this.work, settings);
		this.instances.add(instance);
		note(name + " started, pid " + instance.pid());
		return instance;
	}

	/** Starts an instance and waits until it is ready; fails with its log if it does not get there. */
	AppInstance startReady(String name, Duration timeout, String... extra) throws Exception {
		AppInstance instance = start(name, extra);
		if (!instance.awaitReady(timeout)) {
			throw new AssertionError(name + " was not ready within " + timeout + "\n" + instance.tail(80));
		}
		note(name + " ready on port " + instance.port());
		return instance;
	}

	/** A single write outside the load loop, counted with the others when acknowledged. */
	LoadClient.Attempt write(AppInstance instance, String token) {
		LoadClient.Attempt attempt = this.load.write(instance, token);
		if (attempt.acknowledged()) {
			this.extraAcknowledged.add(token);
		}
		note("write " + token + " to " + instance.name() + ": " + ((attempt.acknowledged()) ? "acknowledged"
				: "rejected (" + attempt.status() + " " + attempt.error() + ")"));
		return attempt;
	}

	/** Writes to {@code instance} until one is acknowledged, at most {@code timeout}. */
	boolean awaitWritable(AppInstance instance, Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		for (int i = 0; System.nanoTime() < deadline; i++) {
			if (write(instance, "writable-" + instance.name() + "-" + i).acknowledged()) {
				return true;
			}
			Thread.sleep(250);
		}
		return false;
	}

	void note(String line) {
		this.report.add(String.format("%tT.%<tL %s", System.currentTimeMillis(), line));
	}

	/** Every token the client saw acknowledged. */
	Set<String> acknowledged() {
		Set<String> all = this.load.acknowledged()
			.stream()
			.map(LoadClient.Attempt::token)
			.collect(Collectors.toCollection(LinkedHashSet::new));
		all.addAll(this.extraAcknowledged);
		return all;
	}

	/**
	 * Restores the replica's latest state with our restore and with {@code litestream restore}, and
	 * returns the acknowledged tokens missing from either (both are reported).
	 */
	Set<String> lostAcknowledged(SoftAssertions softly) throws Exception {
		Set<String> acknowledged = acknowledged();
		Set<String> ours = this.replica.restoreOurs(this.work.resolve("restored-ours.db"));
		Path litestreamDir = Files.createDirectories(this.work.resolve("litestream"));
		Set<String> theirs = this.replica.restoreWithLitestream(litestreamDir,
				this.work.resolve("restored-litestream.db"));
		Set<String> lostOurs = missing(acknowledged, ours);
		Set<String> lostTheirs = missing(acknowledged, theirs);
		Set<String> generations = this.replica.generations();
		note("attempts " + this.load.attempts().size() + ", acknowledged " + acknowledged.size() + ", rejected "
				+ this.load.rejected().size() + ", lost (our restore) " + lostOurs.size()
				+ ", lost (litestream restore) " + lostTheirs.size() + ", write-unavailability window "
				+ this.load.unavailabilityMillis() + " ms, generations " + generations.size() + " " + generations);
		note("restored rows: ours " + ours.size() + ", litestream " + theirs.size() + "; first lost: "
				+ lostOurs.stream().limit(5).toList());
		softly.assertThat(ReplicaInspection.integrity(this.work.resolve("restored-ours.db"))).as("our restore")
			.isEqualTo("ok");
		softly.assertThat(generations).as("generations in the replica (a fork starts a second one)").hasSize(1);
		Set<String> lost = new LinkedHashSet<>(lostOurs);
		lost.addAll(lostTheirs);
		return lost;
	}

	private static Set<String> missing(Set<String> expected, Set<String> actual) {
		return expected.stream().filter((t) -> !actual.contains(t)).collect(Collectors.toCollection(LinkedHashSet::new));
	}

	private static void deleteRecursively(Path dir) throws IOException {
		if (Files.exists(dir)) {
			try (Stream<Path> paths = Files.walk(dir)) {
				for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
					Files.delete(p);
				}
			}
		}
	}

	/** Liveness must never go DOWN: an S3 hiccup or a hand-over must not get a pod restarted. */
	void assertLivenessNeverBroken(SoftAssertions softly) {
		for (AppInstance instance : this.instances) {
			softly.assertThat(instance.changes())
				.as("%s: liveness states", instance.name())
				.noneMatch((c) -> c.probe().equals("liveness") && c.state() == AppInstance.Probe.BROKEN);
		}
	}

	/** The probe states of every instance and the figures, printed and written to report.txt. */
	String report() throws IOException {
		StringBuilder text = new StringBuilder(String.join("\n", this.report)).append('\n');
		for (AppInstance instance : this.instances) {
			text.append(instance.name()).append(" probes:");
			for (AppInstance.Change c : instance.changes()) {
				text.append(String.format(" %tT.%<tL %s=%s;", c.atMillis(), c.probe(), c.state()));
			}
			text.append('\n');
		}
		Files.writeString(this.work.resolve("report.txt"), text);
		return text.toString();
	}

	/** The tails of every instance's log, for a failure message. */
	String logs() {
		return this.instances.stream().map((i) -> i.tail(40)).collect(Collectors.joining("\n"));
	}

	@Override
	public void close() throws Exception {
		this.load.close();
		for (AppInstance instance : this.instances) {
			instance.close();
		}
		this.replica.close();
	}

}
