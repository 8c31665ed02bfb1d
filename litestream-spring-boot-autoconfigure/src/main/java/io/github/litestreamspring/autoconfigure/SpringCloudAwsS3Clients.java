package io.github.litestreamspring.autoconfigure;

import java.net.URI;

import io.awspring.cloud.autoconfigure.AwsClientProperties;
import io.awspring.cloud.autoconfigure.AwsSyncClientCustomizer;
import io.awspring.cloud.autoconfigure.core.AwsClientBuilderConfigurer;
import io.awspring.cloud.autoconfigure.core.AwsProperties;
import io.awspring.cloud.autoconfigure.s3.S3ClientCustomizer;
import org.springframework.beans.factory.BeanFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

import io.github.litestreamspring.engine.replica.s3.S3ClientFactory;

/**
 * The S3 client of a replica with settings of its own, built as Spring Cloud AWS builds the
 * application's: its {@link AwsClientBuilderConfigurer} (credentials provider from
 * {@code spring.cloud.aws.credentials.*} — profiles, STS, instance profile —, {@code spring.cloud.aws}
 * defaults such as FIPS and dual-stack, its user agent), then the replica's own settings, then the
 * application's {@link AwsSyncClientCustomizer} and {@link S3ClientCustomizer} beans (proxies, HTTP
 * client, anything else), in order. Only the SDK's retries are switched off after the customizers:
 * the replica client retries each call itself (see {@code S3Retry}), and retries must not multiply.
 * <p>
 * Settings the replica does not have come from Spring Cloud AWS: the credentials without
 * {@code access-key-id}, the endpoint {@code spring.cloud.aws.endpoint} without an endpoint of its own.
 * {@code AwsConnectionDetails} are not applied: they describe the application's S3 connection, the one
 * the shared client uses. Loaded only when Spring Cloud AWS's auto-configuration is on the class path (checked by
 * {@link S3Replicas} before this class is touched: verifying it needs Spring Cloud AWS's classes).
 */
final class SpringCloudAwsS3Clients {

	private SpringCloudAwsS3Clients() {
	}

	/**
	 * A client for {@code settings} from Spring Cloud AWS's configurer, or {@code null} when the
	 * application context has none (Spring Cloud AWS's auto-configuration is off).
	 */
	static S3Client create(S3ClientFactory.Settings settings, BeanFactory beanFactory) {
		AwsClientBuilderConfigurer configurer = beanFactory.getBeanProvider(AwsClientBuilderConfigurer.class)
			.getIfAvailable();
		if (configurer == null) {
			return null;
		}
		S3ClientFactory.Settings effective = settings;
		if (settings.endpoint() == null) {
			AwsProperties aws = beanFactory.getBeanProvider(AwsProperties.class).getIfAvailable();
			if (aws != null && aws.getEndpoint() != null) {
				effective = new S3ClientFactory.Settings(aws.getEndpoint().toString(), settings.region(),
						settings.forcePathStyle(), settings.accessKeyId(), settings.secretAccessKey(),
						settings.skipVerify(), settings.tls());
			}
		}
		// The replica's region (or Litestream's default) is given, so that the configurer never asks the
		// region provider chain, which fails without AWS settings and may query instance metadata.
		ReplicaClientProperties properties = new ReplicaClientProperties();
		properties.setRegion(S3ClientFactory.region(effective).id());
		if (effective.endpoint() != null) {
			properties.setEndpoint(URI.create(effective.endpoint()));
		}
		S3ClientBuilder builder = configurer.configure(S3Client.builder(), properties, null);
		S3ClientFactory.configure(builder, effective);
		beanFactory.getBeanProvider(AwsSyncClientCustomizer.class).orderedStream().forEach((c) -> c.customize(builder));
		beanFactory.getBeanProvider(S3ClientCustomizer.class).orderedStream().forEach((c) -> c.customize(builder));
		return S3ClientFactory.withoutSdkRetries(builder).build();
	}

	/** Endpoint and region of one replica, in the form Spring Cloud AWS's configurer reads. */
	private static final class ReplicaClientProperties extends AwsClientProperties {

	}

}
