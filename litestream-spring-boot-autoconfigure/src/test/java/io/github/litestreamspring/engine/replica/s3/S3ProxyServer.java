package io.github.litestreamspring.engine.replica.s3;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * S3Proxy 4.1.0 as a child process on 127.0.0.1, with the filesystem backend so that objects survive
 * {@link #stop()} and {@link #start()} (outage tests). Its jar comes from the build (system property
 * {@code s3proxy.jar}); it shares nothing with the test classpath.
 * <p>
 * The port is chosen by the server ({@code :0}) and read from Jetty's "Started ...{127.0.0.1:PORT}"
 * log line, so there is no race for a free port; a restart binds the same port again.
 */
public final class S3ProxyServer {

	public static final String ACCESS_KEY = "litestream-test";

	public static final String SECRET_KEY = "litestream-test-secret";

	private static final Pattern STARTED = Pattern.compile("Started \\S*ServerConnector.*\\{127\\.0\\.0\\.1:(\\d+)\\}");

	private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

	private static S3ProxyServer shared;

	private final Path dataDir;

	private final Deque<String> recentOutput = new ArrayDeque<>();

	private volatile Process process;

	private int port;

	private final Path keystore;

	private final String keystorePassword;

	private S3ProxyServer(Path dataDir) {
		this(dataDir, null, null);
	}

	private S3ProxyServer(Path dataDir, Path keystore, String keystorePassword) {
		this.dataDir = dataDir;
		this.keystore = keystore;
		this.keystorePassword = keystorePassword;
	}

	/**
	 * A server of its own that speaks only HTTPS with the key and certificate in {@code keystore}
	 * (PKCS12 or JKS); the caller stops it with {@link #destroy()}.
	 */
	public static S3ProxyServer secure(Path keystore, String password) throws IOException {
		S3ProxyServer server = new S3ProxyServer(Files.createTempDirectory("s3proxy-tls-"), keystore, password);
		server.start();
		return server;
	}

	/** The server shared by all tests of this JVM, started on first use and stopped at JVM exit. */
	public static synchronized S3ProxyServer shared() {
		if (shared == null) {
			try {
				S3ProxyServer server = new S3ProxyServer(Files.createTempDirectory("s3proxy-"));
				server.start();
				Runtime.getRuntime().addShutdownHook(new Thread(server::stopAndDelete, "s3proxy-shutdown"));
				shared = server;
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}
		else if (!shared.isRunning()) {
			shared.start(); // a test stopped it and failed before restarting
		}
		return shared;
	}

	/** Starts the server: on a free port the first time, on the same port afterwards. */
	public synchronized void start() {
		if (isRunning()) {
			return;
		}
		try {
			Path blobs = Files.createDirectories(this.dataDir.resolve("blobs"));
			Path properties = this.dataDir.resolve("s3proxy.properties");
			try (Writer w = Files.newBufferedWriter(properties, StandardCharsets.UTF_8)) {
				if (this.keystore == null) {
					w.write("s3proxy.endpoint=http://127.0.0.1:" + this.port + "\n");
				}
				else {
					w.write("s3proxy.secure-endpoint=https://127.0.0.1:" + this.port + "\n");
					w.write("s3proxy.keystore-path=" + this.keystore + "\n");
					w.write("s3proxy.keystore-password=" + this.keystorePassword + "\n");
				}
				w.write("s3proxy.authorization=aws-v2-or-v4\n");
				w.write("s3proxy.identity=" + ACCESS_KEY + "\n");
				w.write("s3proxy.credential=" + SECRET_KEY + "\n");
				w.write("jclouds.provider=filesystem\n");
				w.write("jclouds.filesystem.basedir=" + blobs + "\n");
				w.write("jclouds.identity=" + ACCESS_KEY + "\n");
				w.write("jclouds.credential=" + SECRET_KEY + "\n");
			}
			String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
			Process p = new ProcessBuilder(java, "-Xmx256m", "-jar", jar().toString(), "--properties",
					properties.toString())
				.redirectErrorStream(true)
				.start();
			this.process = p;
			this.port = awaitPort(p);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Stops the child process and waits (bounded) for it to exit; data and port are kept. */
	public synchronized void stop() {
		Process p = this.process;
		if (p == null) {
			return;
		}
		p.destroy();
		try {
			if (!p.waitFor(10, TimeUnit.SECONDS)) {
				p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			p.destroyForcibly();
		}
		this.process = null;
	}

	/** Stops the server and removes its data directory. */
	public void destroy() {
		stopAndDelete();
	}

	/** Stops the server and removes its data directory (JVM exit). */
	private void stopAndDelete() {
		stop();
		try (Stream<Path> paths = Files.walk(this.dataDir)) {
			paths.sorted(Comparator.reverseOrder()).forEach((p) -> p.toFile().delete());
		}
		catch (IOException ex) {
			// best effort: it is a temp directory
		}
	}

	public boolean isRunning() {
		Process p = this.process;
		return p != null && p.isAlive();
	}

	public int port() {
		return this.port;
	}

	public URI endpoint() {
		return URI.create(((this.keystore != null) ? "https" : "http") + "://127.0.0.1:" + this.port);
	}

	/** Creates a bucket if it does not exist yet. */
	public void createBucket(String name) {
		try (S3Client s3 = client()) {
			if (s3.listBuckets().buckets().stream().noneMatch((b) -> b.name().equals(name))) {
				s3.createBucket((b) -> b.bucket(name));
			}
		}
	}

	/** A path-style client for this server (us-east-1, static credentials, SDK defaults otherwise). */
	public S3Client client() {
		return clientBuilder().build();
	}

	/** {@link #client()}'s builder, for tests that add interceptors or other credentials. */
	public S3ClientBuilder clientBuilder() {
		return S3Client.builder()
			.endpointOverride(endpoint())
			.region(Region.US_EAST_1)
			.forcePathStyle(true)
			.httpClientBuilder(ApacheHttpClient.builder())
			.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
			.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)));
	}

	/** Like {@link #clientBuilder()}, customized. */
	public S3Client client(Consumer<S3ClientBuilder> customizer) {
		S3ClientBuilder builder = clientBuilder();
		customizer.accept(builder);
		return builder.build();
	}

	private int awaitPort(Process p) throws IOException {
		CompletableFuture<Integer> bound = new CompletableFuture<>();
		Thread reader = new Thread(() -> pump(p, bound), "s3proxy-output");
		reader.setDaemon(true);
		reader.start();
		try {
			return bound.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		}
		catch (TimeoutException | ExecutionException ex) {
			p.destroyForcibly();
			throw new IOException("S3Proxy did not start within " + START_TIMEOUT + "; last output:\n" + output(), ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			p.destroyForcibly();
			throw new IOException("interrupted while starting S3Proxy", ex);
		}
	}

	/** Drains the child's output for its whole life (a full pipe would block it), watching for the port. */
	private void pump(Process p, CompletableFuture<Integer> bound) {
		try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
			String line;
			while ((line = in.readLine()) != null) {
				remember(line);
				Matcher m = STARTED.matcher(line);
				if (m.find()) {
					bound.complete(Integer.parseInt(m.group(1)));
				}
			}
		}
		catch (IOException ex) {
			// the process went away
		}
		bound.completeExceptionally(new IOException("S3Proxy exited with " + exitCode(p)));
	}

	// Guarded by the deque itself, not by this: start() holds this while the pump thread reads.
	private void remember(String line) {
		synchronized (this.recentOutput) {
			this.recentOutput.addLast(line);
			while (this.recentOutput.size() > 50) {
				this.recentOutput.removeFirst();
			}
		}
	}

	private String output() {
		synchronized (this.recentOutput) {
			return String.join("\n", this.recentOutput);
		}
	}

	private static String exitCode(Process p) {
		try {
			return p.waitFor(5, TimeUnit.SECONDS) ? String.valueOf(p.exitValue()) : "(still running)";
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return "(interrupted)";
		}
	}

	private static Path jar() {
		String jar = System.getProperty("s3proxy.jar");
		if (jar == null || !Files.isRegularFile(Paths.get(jar))) {
			throw new IllegalStateException("system property s3proxy.jar must point at S3Proxy's jar-with-dependencies"
					+ " (set by the build): " + jar);
		}
		return Paths.get(jar);
	}

}
