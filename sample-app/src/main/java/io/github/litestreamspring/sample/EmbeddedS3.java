package io.github.litestreamspring.sample;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The demo's S3-compatible endpoint: S3Proxy (filesystem backend) as a child process on 127.0.0.1,
 * so the sample replicates to a real S3 API without a cloud account or Docker. Its data directory
 * survives restarts, which is what the disaster-recovery recipe relies on.
 */
final class EmbeddedS3 implements AutoCloseable {

	static final String ACCESS_KEY = "sample-access-key";

	static final String SECRET_KEY = "sample-secret-key";

	private static final Pattern STARTED = Pattern.compile("Started \\S*ServerConnector.*\\{127\\.0\\.0\\.1:(\\d+)\\}");

	private final Path jar;

	private final Path properties;

	private volatile Process process;

	private final int port;

	private EmbeddedS3(Path jar, Path properties, Process process, int port) {
		this.jar = jar;
		this.properties = properties;
		this.process = process;
		this.port = port;
	}

	/** Starts S3Proxy from {@code jar} with its objects under {@code dataDir} and creates {@code bucket}. */
	static EmbeddedS3 start(Path jar, Path dataDir, String bucket) throws IOException {
		if (!Files.isRegularFile(jar)) {
			throw new IOException("S3Proxy jar not found at " + jar.toAbsolutePath()
					+ "; build the sample with the README command, or set sample.embedded-s3.enabled=false");
		}
		Path properties = writeProperties(dataDir, 0);
		Process process = launch(jar, properties);
		try {
			EmbeddedS3 server = new EmbeddedS3(jar, properties, process, awaitPort(process));
			writeProperties(dataDir, server.port);
			server.createBucket(bucket);
			return server;
		}
		catch (Exception ex) {
			process.destroyForcibly();
			throw new IOException("cannot start the embedded S3 endpoint: " + ex.getMessage(), ex);
		}
	}

	/** Starts the endpoint again after {@link #close()}, on the same port with the same objects. */
	void restart() throws IOException {
		Process p = launch(this.jar, this.properties);
		try {
			awaitPort(p);
		}
		catch (Exception ex) {
			p.destroyForcibly();
			throw new IOException("cannot restart the embedded S3 endpoint: " + ex.getMessage(), ex);
		}
		this.process = p;
	}

	private static Path writeProperties(Path dataDir, int port) throws IOException {
		Path blobs = Files.createDirectories(dataDir.resolve("blobs"));
		Path properties = dataDir.resolve("s3proxy.properties");
		Files.writeString(properties, String.join("\n", "s3proxy.endpoint=http://127.0.0.1:" + port,
				"s3proxy.authorization=aws-v2-or-v4", "s3proxy.identity=" + ACCESS_KEY,
				"s3proxy.credential=" + SECRET_KEY, "jclouds.provider=filesystem",
				"jclouds.filesystem.basedir=" + blobs.toAbsolutePath(), "jclouds.identity=" + ACCESS_KEY,
				"jclouds.credential=" + SECRET_KEY, ""));
		return properties;
	}

	private static Process launch(Path jar, Path properties) throws IOException {
		String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(javaBin, "-Xmx256m", "-jar",
				jar.toAbsolutePath().toString(), "--properties", properties.toAbsolutePath().toString()));
		if (Files.isExecutable(SETSID)) {
			// A session of its own: Ctrl-C in the terminal reaches the whole foreground process group, and the
			// endpoint would die while the application's final sync and lease release still need it. The
			// application stops it itself, after replication (see SampleApplication).
			command.add(0, SETSID.toString());
		}
		return new ProcessBuilder(command).redirectErrorStream(true).start();
	}

	private static final Path SETSID = Path.of("/usr/bin/setsid");

	private static int awaitPort(Process process) throws Exception {
		CompletableFuture<Integer> port = new CompletableFuture<>();
		Thread pump = new Thread(() -> {
			try (BufferedReader in = new BufferedReader(
					new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
				String line;
				while ((line = in.readLine()) != null) {
					Matcher m = STARTED.matcher(line);
					if (m.find()) {
						port.complete(Integer.parseInt(m.group(1)));
					}
				}
			}
			catch (IOException ex) {
				// the process ended
			}
			port.completeExceptionally(new IOException("S3Proxy exited before it was ready"));
		}, "embedded-s3-output");
		pump.setDaemon(true);
		pump.start();
		return port.get(60, TimeUnit.SECONDS);
	}

	URI endpoint() {
		return URI.create("http://127.0.0.1:" + this.port);
	}

	private void createBucket(String bucket) {
		try (S3Client s3 = S3Client.builder()
			.endpointOverride(endpoint())
			.region(Region.US_EAST_1)
			.forcePathStyle(true)
			.httpClientBuilder(ApacheHttpClient.builder())
			.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
			.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
			.build()) {
			if (s3.listBuckets().buckets().stream().noneMatch((b) -> b.name().equals(bucket))) {
				s3.createBucket((b) -> b.bucket(bucket));
			}
		}
	}

	@Override
	public void close() {
		Process p = this.process;
		p.destroy();
		try {
			if (!p.waitFor(10, TimeUnit.SECONDS)) {
				p.destroyForcibly();
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
