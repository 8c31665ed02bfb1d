package io.github.litestreamspring.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.springframework.beans.factory.support.StaticListableBeanFactory;
import software.amazon.awssdk.services.s3.S3Client;

import io.github.litestreamspring.autoconfigure.LitestreamConfigurationException;
import io.github.litestreamspring.autoconfigure.LitestreamProperties;
import io.github.litestreamspring.autoconfigure.ReplicaFactory;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replica.s3.S3ClientFactory;

/**
 * The replicas a command works on, built by the starter's own {@link ReplicaFactory} so that a URL,
 * name or S3 setting means here exactly what it means in the application. Closing closes every client.
 */
final class OpenReplicas implements AutoCloseable {

	private final List<Replica> replicas;

	private final S3Client shared;

	private OpenReplicas(List<Replica> replicas, S3Client shared) {
		this.replicas = replicas;
		this.shared = shared;
	}

	/**
	 * @param property where {@code configured} come from, named in configuration errors
	 */
	static OpenReplicas open(List<LitestreamProperties.Replica> configured, String property,
			CliConfiguration configuration, Path database, String name, boolean fromConfig) {
		if (configured.isEmpty()) {
			throw new CliException("no replica is configured: set '" + property + "[0].url' in the "
					+ "configuration (or " + environmentVariable(property + "[0].url") + "), or give a REPLICA_URL");
		}
		S3Client shared = fromConfig ? SharedS3Client.create(configured, configuration).orElse(null) : null;
		StaticListableBeanFactory beans = new StaticListableBeanFactory();
		if (shared != null) {
			beans.addBean("s3Client", shared);
		}
		List<Replica> replicas;
		try {
			replicas = new ReplicaFactory(beans).create(configured, database, property);
		}
		catch (LitestreamConfigurationException ex) {
			closeQuietly(shared);
			String where = (ex.getProperty() != null && fromConfig) ? " (" + ex.getProperty() + ")" : "";
			throw new CliException(ex.getMessage() + where + ": " + ex.getAction(), ex);
		}
		catch (IllegalArgumentException ex) {
			closeQuietly(shared);
			throw new CliException("invalid replica configuration: " + ex.getMessage(), ex);
		}
		OpenReplicas open = new OpenReplicas(replicas, shared);
		if (name == null) {
			return open;
		}
		List<Replica> selected = replicas.stream().filter((r) -> r.name().equals(name)).toList();
		if (selected.isEmpty()) {
			open.close();
			throw new CliException("no replica named '" + name + "'; configured: "
					+ String.join(", ", replicas.stream().map(Replica::name).toList()));
		}
		return new OpenReplicas(new ArrayList<>(selected), shared);
	}

	List<Replica> all() {
		return this.replicas;
	}

	@Override
	public void close() {
		for (Replica replica : this.replicas) {
			try {
				replica.client().close();
			}
			catch (Exception ex) {
				// closing after the work is done: nothing to report
			}
		}
		closeQuietly(this.shared);
	}

	/** The environment variable that sets {@code property}: {@code LITESTREAM_REPLICAS_0_URL}. */
	private static String environmentVariable(String property) {
		return property.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]+", "_");
	}

	private static void closeQuietly(S3Client client) {
		if (client != null) {
			client.close();
		}
	}

	/**
	 * The application's shared {@code S3Client} as Spring Cloud AWS would configure it from
	 * {@code spring.cloud.aws.*}; S3 replicas without settings of their own use it, as in the application.
	 */
	static final class SharedS3Client {

		private SharedS3Client() {
		}

		static Optional<S3Client> create(List<LitestreamProperties.Replica> replicas, CliConfiguration c) {
			boolean anyS3 = replicas.stream().anyMatch((r) -> r.getUrl() != null && r.getUrl().startsWith("s3://"));
			Optional<String> endpoint = c.string("spring.cloud.aws.s3.endpoint")
				.or(() -> c.string("spring.cloud.aws.endpoint"));
			Optional<String> region = c.string("spring.cloud.aws.s3.region")
				.or(() -> c.string("spring.cloud.aws.region.static"));
			Optional<String> accessKey = c.string("spring.cloud.aws.credentials.access-key");
			Optional<String> secretKey = c.string("spring.cloud.aws.credentials.secret-key");
			Optional<Boolean> pathStyle = c.bool("spring.cloud.aws.s3.path-style-access-enabled");
			boolean configured = endpoint.isPresent() || region.isPresent() || accessKey.isPresent()
					|| pathStyle.isPresent();
			if (!anyS3 || !configured) {
				// Without spring.cloud.aws.* the application's client uses the SDK defaults, which is
				// what the replica's own client does too.
				return Optional.empty();
			}
			S3ClientFactory.Settings settings = new S3ClientFactory.Settings(endpoint.orElse(null),
					region.orElse(null), pathStyle.orElse(false), accessKey.orElse(null), secretKey.orElse(null),
					false);
			// Spring Cloud AWS addresses buckets path-style only when told to, even with an endpoint.
			boolean forcePathStyle = pathStyle.orElse(false);
			return Optional.of(S3ClientFactory.create(settings, (builder) -> builder.forcePathStyle(forcePathStyle)));
		}

	}

}
