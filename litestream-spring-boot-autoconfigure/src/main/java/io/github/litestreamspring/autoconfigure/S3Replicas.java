package io.github.litestreamspring.autoconfigure;

import java.util.Locale;

import javax.net.ssl.KeyManager;

import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.ssl.SslManagerBundle;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.util.ClassUtils;
import software.amazon.awssdk.services.s3.S3Client;

import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ClientFactory;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.SingleAttemptS3Client;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaUrl;

/**
 * Builds S3 replica clients; only loaded when the AWS SDK is present. A replica without its own
 * endpoint, region, credentials, path style or TLS settings reuses the application's {@link S3Client}
 * bean (Spring Cloud AWS configures it from {@code spring.cloud.aws.*}); otherwise it gets a client of
 * its own, built the Spring Cloud AWS way when Spring Cloud AWS is there ({@link SpringCloudAwsS3Clients}),
 * from a bare SDK builder otherwise (an application with the SDK alone, the command-line tool).
 */
final class S3Replicas {

	private static final String SPRING_CLOUD_AWS_CONFIGURER = "io.awspring.cloud.autoconfigure.core.AwsClientBuilderConfigurer";

	private S3Replicas() {
	}

	static ReplicaClient create(String prefix, LitestreamProperties.Replica p, BeanFactory beanFactory) {
		S3ReplicaUrl url;
		try {
			url = S3ReplicaUrl.parse(p.getUrl());
		}
		catch (IllegalArgumentException ex) {
			throw new LitestreamConfigurationException(ex.getMessage(), prefix + ".url",
					"Use s3://bucket/path, optionally with a provider host such as bucket.localhost:9000");
		}
		S3ReplicaOptions options = options(prefix, p);
		boolean ownSettings = p.getEndpoint() != null || p.getRegion() != null || p.getAccessKeyId() != null
				|| p.getForcePathStyle() != null || p.isSkipVerify() || p.getSslBundle() != null
				|| url.endpoint() != null;
		S3Client shared = ownSettings ? null : sharedClient(prefix, p.getUrl(), beanFactory);
		if (shared != null) {
			// The application's client keeps its own retry strategy; seen with one attempt per call, our
			// S3Retry is the only retry layer here too (as for the clients built below, SDK retries off).
			return new S3ReplicaClient(SingleAttemptS3Client.wrap(shared), url.bucket(), url.path(), options);
		}
		if ((p.getAccessKeyId() == null) != (p.getSecretAccessKey() == null)) {
			throw new LitestreamConfigurationException("only one of access-key-id and secret-access-key is set",
					prefix + ".access-key-id", "Set both, or neither to use the default AWS credential chain");
		}
		if (p.isSkipVerify() && p.getSslBundle() != null) {
			throw new LitestreamConfigurationException("both skip-verify and ssl-bundle are set", prefix + ".skip-verify",
					"Remove 'skip-verify': the SSL bundle '" + p.getSslBundle() + "' decides which certificates to trust");
		}
		String endpoint = (p.getEndpoint() != null) ? p.getEndpoint() : url.endpoint();
		String region = (p.getRegion() != null) ? p.getRegion() : url.region();
		boolean pathStyle = (p.getForcePathStyle() != null) ? p.getForcePathStyle()
				: (url.forcePathStyle() || endpoint != null);
		S3ClientFactory.Settings settings = new S3ClientFactory.Settings(endpoint, region, pathStyle,
				p.getAccessKeyId(), p.getSecretAccessKey(), p.isSkipVerify(), tls(prefix, p.getSslBundle(), beanFactory));
		S3Client client = springCloudAwsPresent(beanFactory)
				? SpringCloudAwsS3Clients.create(settings, beanFactory) : null;
		return S3ReplicaClient.owning((client != null) ? client : S3ClientFactory.create(settings), url.bucket(),
				url.path(), options);
	}

	private static boolean springCloudAwsPresent(BeanFactory beanFactory) {
		ClassLoader classLoader = (beanFactory instanceof ConfigurableBeanFactory configurable)
				? configurable.getBeanClassLoader() : null;
		return ClassUtils.isPresent(SPRING_CLOUD_AWS_CONFIGURER,
				(classLoader != null) ? classLoader : S3Replicas.class.getClassLoader());
	}

	/** The TLS material of the SSL bundle named by the replica's {@code ssl-bundle}, if any. */
	private static S3ClientFactory.Tls tls(String prefix, String bundleName, BeanFactory beanFactory) {
		if (bundleName == null) {
			return null;
		}
		SslBundles bundles = beanFactory.getBeanProvider(SslBundles.class).getIfAvailable();
		if (bundles == null) {
			throw new LitestreamConfigurationException("the SSL bundle '" + bundleName + "' cannot be found: no SSL "
					+ "bundles are configured", prefix + ".ssl-bundle",
					"Configure it under 'spring.ssl.bundle.jks." + bundleName + "' or 'spring.ssl.bundle.pem."
							+ bundleName + "'");
		}
		SslBundle bundle;
		try {
			bundle = bundles.getBundle(bundleName);
		}
		catch (NoSuchSslBundleException ex) {
			throw new LitestreamConfigurationException("the SSL bundle '" + bundleName + "' is not configured",
					prefix + ".ssl-bundle", "Configure it under 'spring.ssl.bundle.jks." + bundleName
							+ "' or 'spring.ssl.bundle.pem." + bundleName + "', or fix the name",
					ex);
		}
		SslManagerBundle managers = bundle.getManagers();
		KeyManager[] keyManagers = (bundle.getStores().getKeyStore() != null) ? managers.getKeyManagers() : null;
		return new S3ClientFactory.Tls(keyManagers, managers.getTrustManagers());
	}

	/**
	 * The application's {@code S3Client} bean, if any. Spring Cloud AWS creates it lazily (see
	 * {@link LazySpringCloudAwsS3Beans}) and fails without a region: that failure names what to set.
	 */
	private static S3Client sharedClient(String prefix, String url, BeanFactory beanFactory) {
		try {
			return beanFactory.getBeanProvider(S3Client.class).getIfAvailable();
		}
		catch (BeansException ex) {
			Throwable root = NestedExceptionUtils.getMostSpecificCause(ex);
			if (String.valueOf(root.getMessage()).contains("Unable to load region")) {
				throw new LitestreamConfigurationException("the S3 replica " + url + " has no AWS region: "
						+ root.getMessage(), "spring.cloud.aws.region.static",
						"Set 'spring.cloud.aws.region.static' (or the AWS_REGION environment variable) for the "
								+ "application's S3 client, or give the replica a region of its own with '" + prefix
								+ ".region'",
						ex);
			}
			throw ex;
		}
	}

	private static S3ReplicaOptions options(String prefix, LitestreamProperties.Replica p) {
		S3ReplicaOptions.Encryption encryption;
		String sse = (p.getSse() != null) ? p.getSse().toLowerCase(Locale.ROOT) : "none";
		try {
			encryption = switch (sse) {
				case "none", "" -> S3ReplicaOptions.Encryption.NONE;
				case "aes256", "sse-s3" -> S3ReplicaOptions.Encryption.sseS3();
				case "kms", "aws:kms", "sse-kms" -> S3ReplicaOptions.Encryption.sseKms(p.getSseKmsKeyId());
				case "customer", "sse-c" -> S3ReplicaOptions.Encryption.sseC(p.getSseCustomerKey());
				default -> throw new IllegalArgumentException("unknown server-side encryption '" + p.getSse() + "'");
			};
		}
		catch (IllegalArgumentException ex) {
			throw new LitestreamConfigurationException(ex.getMessage(), prefix + ".sse",
					"Use 'none', 'aes256', 'kms' (with sse-kms-key-id) or 'customer' (with sse-customer-key)");
		}
		S3ReplicaOptions options = S3ReplicaOptions.defaults().withEncryption(encryption);
		try {
			if (p.getStorageClass() != null) {
				options = options.withStorageClass(p.getStorageClass());
			}
			options = options.withPartSize((int) Math.min(Integer.MAX_VALUE, p.getPartSize().toBytes()));
		}
		catch (IllegalArgumentException ex) {
			throw new LitestreamConfigurationException(ex.getMessage(), prefix + ".part-size",
					"Use a part size of at least 5MB");
		}
		try {
			return options.withDownload(S3ReplicaOptions.DEFAULT_DOWNLOAD_PART_SIZE,
					p.getSnapshotDownloadParallelism());
		}
		catch (IllegalArgumentException ex) {
			throw new LitestreamConfigurationException(ex.getMessage(), prefix + ".snapshot-download-parallelism",
					"Use 0 or 1 for a single GET, or up to " + S3ReplicaOptions.MAX_DOWNLOAD_PARALLELISM
							+ " parallel range GETs");
		}
	}

}
