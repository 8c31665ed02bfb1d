package io.github.litestreamspring.autoconfigure;

import java.net.URI;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.util.ClassUtils;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;

/**
 * Turns {@code litestream.replicas[]} into engine replicas. Restore and replication both use what this
 * builds, so they always read and write the same place. Public so that the command-line tool builds its
 * replicas from the same properties exactly as the application does.
 */
public final class ReplicaFactory {

	private static final String S3_CLIENT = "software.amazon.awssdk.services.s3.S3Client";

	private final BeanFactory beanFactory;

	/**
	 * @param beanFactory where a shared {@code S3Client} bean is looked up for S3 replicas without
	 * settings of their own
	 */
	public ReplicaFactory(BeanFactory beanFactory) {
		this.beanFactory = beanFactory;
	}

	/**
	 * Engine replicas for {@code replicas}, named as configured (or by type).
	 * @throws LitestreamConfigurationException naming the property at fault
	 */
	public List<Replica> create(List<LitestreamProperties.Replica> replicas, Path database) {
		return create(replicas, database, "litestream.replicas");
	}

	/**
	 * Engine replicas for {@code replicas} configured under {@code property} (e.g.
	 * {@code litestream.databases[0].replicas}), named as configured (or by type).
	 * @throws LitestreamConfigurationException naming the property at fault
	 */
	public List<Replica> create(List<LitestreamProperties.Replica> replicas, Path database, String property) {
		if (replicas.isEmpty()) {
			throw new LitestreamConfigurationException("no replica is configured for " + database, property + "[0].url",
					"Set '" + property + "[0].url' to s3://bucket/path or file:///path, or disable replication "
							+ "with 'litestream.enabled=false'");
		}
		Set<String> names = new HashSet<>();
		return java.util.stream.IntStream.range(0, replicas.size()).mapToObj(i -> {
			LitestreamProperties.Replica properties = replicas.get(i);
			String prefix = property + "[" + i + "]";
			ReplicaClient client = createClient(prefix, properties, database);
			String name = (properties.getName() != null) ? properties.getName() : client.type();
			if (!names.add(name)) {
				throw new LitestreamConfigurationException("two replicas are named '" + name + "'", prefix + ".name",
						"Give every replica of the database a unique 'name'");
			}
			return new Replica(options(prefix, name, properties), client);
		}).toList();
	}

	private ReplicaClient createClient(String prefix, LitestreamProperties.Replica properties, Path database) {
		String url = properties.getUrl();
		if (url == null || url.isBlank()) {
			throw new LitestreamConfigurationException("replica has no URL", prefix + ".url",
					"Set '" + prefix + ".url' to s3://bucket/path or file:///path");
		}
		String scheme = scheme(url);
		switch (scheme) {
			case "file":
				return new FileReplicaClient(filePath(prefix, url), database);
			case "s3":
				if (!ClassUtils.isPresent(S3_CLIENT, classLoader())) {
					throw new LitestreamConfigurationException("replica '" + url
							+ "' needs the AWS SDK S3 client, which is not on the class path", prefix + ".url",
							"Add the dependency io.awspring.cloud:spring-cloud-aws-starter-s3 (or "
									+ "software.amazon.awssdk:s3), or use a file:// replica");
				}
				return S3Replicas.create(prefix, properties, this.beanFactory);
			default:
				throw new LitestreamConfigurationException("unsupported replica URL '" + url + "'", prefix + ".url",
						"Use s3://bucket/path or file:///absolute/path");
		}
	}

	private ClassLoader classLoader() {
		if (this.beanFactory instanceof ConfigurableBeanFactory configurable
				&& configurable.getBeanClassLoader() != null) {
			return configurable.getBeanClassLoader();
		}
		return getClass().getClassLoader();
	}

	private static String scheme(String url) {
		int colon = url.indexOf("://");
		return (colon > 0) ? url.substring(0, colon).toLowerCase(Locale.ROOT) : "";
	}

	private static Path filePath(String prefix, String url) {
		try {
			URI uri = URI.create(url);
			if (uri.getPath() == null || uri.getPath().isEmpty() || (uri.getHost() != null && !uri.getHost().isEmpty())) {
				throw new IllegalArgumentException("expected file:///absolute/path");
			}
			return Path.of(uri.getPath());
		}
		catch (IllegalArgumentException ex) {
			throw new LitestreamConfigurationException("invalid file replica URL '" + url + "': " + ex.getMessage(),
					prefix + ".url", "Use file:///absolute/path (three slashes)");
		}
	}

	private static ReplicaOptions options(String prefix, String name, LitestreamProperties.Replica p) {
		PropertyValidation.validateReplica(prefix, p);
		try {
			return new ReplicaOptions(name, p.getSyncInterval(), p.getSnapshotInterval(), p.getRetention(),
					p.getRetentionCheckInterval(), 0, p.getMaxUploadsPerSecond());
		}
		catch (IllegalArgumentException ex) {
			throw new LitestreamConfigurationException(ex.getMessage(), prefix,
					"Use zero or positive durations for the replica's intervals and retention");
		}
	}

}
