package io.github.litestreamspring.sample;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample as a user meets it: real web server, real SQLite file, real S3 API (the embedded S3Proxy).
 */
class SampleApplicationTests {

	@TempDir
	Path dir;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private ConfigurableApplicationContext start() throws Exception {
		return SampleApplication.run("--server.port=0", "--server.address=127.0.0.1",
				"--sample.data-dir=" + this.dir, "--sample.embedded-s3.jar=" + System.getProperty("sample.embedded-s3.jar"),
				"--litestream.monitor-interval=100ms",
				// A list bound from the command line replaces the YAML one, so the URL is repeated here.
				"--litestream.replicas[0].url=s3://notes/notes.db", "--litestream.replicas[0].sync-interval=100ms",
				"--litestream.health.max-lag=30s");
	}

	@Test
	void replicatesNotesAndRestoresThemAfterTheDiskIsLost() throws Exception {
		try (ConfigurableApplicationContext context = start()) {
			String base = base(context);
			assertThat(post(base + "/notes", "first").statusCode()).isEqualTo(201);
			assertThat(post(base + "/notes", "second").statusCode()).isEqualTo(201);
			assertThat(get(base + "/actuator/health/litestream").body()).contains("\"status\":\"UP\"");
			HttpResponse<String> snapshot = this.http.send(
					HttpRequest.newBuilder(URI.create(base + "/actuator/litestream/snapshot"))
						.POST(HttpRequest.BodyPublishers.noBody())
						.build(),
					HttpResponse.BodyHandlers.ofString());
			assertThat(snapshot.statusCode()).isEqualTo(200);
			assertThat(snapshot.body()).contains(".snapshot.lz4");
			assertThat(get(base + "/actuator/litestream").body()).contains("\"generations\"").contains("s3://notes/");
			assertThat(get(base + "/actuator/metrics/litestream.replica.wal.bytes").body()).doesNotContain("\"value\":0.0");
		}
		// Disaster: the instance's disk is gone, but the embedded S3 data (the "bucket") survives.
		for (String suffix : new String[] { "", "-wal", "-shm" }) {
			Files.deleteIfExists(this.dir.resolve("notes.db" + suffix));
		}
		try (ConfigurableApplicationContext context = start()) {
			String notes = get(base(context) + "/notes").body();
			assertThat(notes).contains("\"body\":\"first\"").contains("\"body\":\"second\"");
		}
	}

	@Test
	void healthGoesDownWhileS3IsUnreachableAndUpWhenItReturns() throws Exception {
		try (ConfigurableApplicationContext context = start()) {
			String base = base(context);
			EmbeddedS3 s3 = context.getBean(EmbeddedS3.class);
			post(base + "/notes", "before");
			awaitHealth(base, "UP");
			s3.close();
			try {
				post(base + "/notes", "during the outage");
				awaitHealth(base, "DOWN");
			}
			finally {
				s3.restart();
			}
			awaitHealth(base, "UP");
		}
	}

	private void awaitHealth(String base, String status) throws Exception {
		long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
		String body = "";
		while (System.nanoTime() < deadline) {
			body = get(base + "/actuator/health/litestream").body();
			if (body.contains("\"status\":\"" + status + "\"")) {
				return;
			}
			Thread.sleep(200);
		}
		throw new AssertionError("health did not become " + status + " within 60 s; last: " + body);
	}

	private static String base(ConfigurableApplicationContext context) {
		return "http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port");
	}

	private HttpResponse<String> post(String url, String body) throws Exception {
		return this.http.send(HttpRequest.newBuilder(URI.create(url))
			.header("Content-Type", "text/plain")
			.POST(HttpRequest.BodyPublishers.ofString(body))
			.build(), HttpResponse.BodyHandlers.ofString());
	}

	private HttpResponse<String> get(String url) throws Exception {
		return this.http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
				HttpResponse.BodyHandlers.ofString());
	}

}
