package io.github.litestreamspring.engine.replica.s3;

import java.net.URI;
import java.util.function.Consumer;

import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.utils.AttributeMap;

/**
 * Builds an {@link S3Client} from Litestream-style replica settings (URL or YAML fields), for
 * replicas that are not given an application's client: either from a bare SDK builder
 * ({@link #create(Settings)}) or on a builder prepared by someone else (the Spring layer passes Spring
 * Cloud AWS's, with its credentials provider and customizers, to {@link #configure}). The SDK's own
 * retries are switched off ({@link #withoutSdkRetries}): {@link S3Retry} decides, so that a wrong
 * credential fails once, a throttled call backs off once, and retries are never multiplied.
 */
public final class S3ClientFactory {

	private S3ClientFactory() {
	}

	/**
	 * Client settings. {@link #toString()} never shows the secret.
	 *
	 * @param endpoint endpoint URL of an S3-compatible store, or {@code null} for AWS
	 * @param region region, or {@code null}: {@code us-east-1} with an endpoint (as Litestream does);
	 * without one, {@code us-east-1} with cross-region access so that the bucket's region is followed
	 * @param forcePathStyle path-style addressing
	 * @param accessKeyId static access key id, or {@code null} for the SDK's default credential chain
	 * @param secretAccessKey static secret, with {@code accessKeyId}
	 * @param skipVerify trust any TLS certificate and host name (self-signed test stores only)
	 * @param tls key and trust material for TLS (e.g. from an SSL bundle), or {@code null} for the JVM's
	 */
	public record Settings(String endpoint, String region, boolean forcePathStyle, String accessKeyId,
			String secretAccessKey, boolean skipVerify, Tls tls) {

		public Settings(String endpoint, String region, boolean forcePathStyle, String accessKeyId,
				String secretAccessKey, boolean skipVerify) {
			this(endpoint, region, forcePathStyle, accessKeyId, secretAccessKey, skipVerify, null);
		}

		/** Endpoint, region and path style from a parsed URL; default credentials, TLS verified. */
		public static Settings from(S3ReplicaUrl url) {
			return new Settings(url.endpoint(), url.region(), url.forcePathStyle(), null, null, false);
		}

		public Settings withCredentials(String accessKeyId, String secretAccessKey) {
			return new Settings(this.endpoint, this.region, this.forcePathStyle, accessKeyId, secretAccessKey,
					this.skipVerify, this.tls);
		}

		public Settings withSkipVerify(boolean skipVerify) {
			return new Settings(this.endpoint, this.region, this.forcePathStyle, this.accessKeyId,
					this.secretAccessKey, skipVerify, this.tls);
		}

		public Settings withTls(Tls tls) {
			return new Settings(this.endpoint, this.region, this.forcePathStyle, this.accessKeyId,
					this.secretAccessKey, this.skipVerify, tls);
		}

		@Override
		public String toString() {
			return "Settings[endpoint=" + this.endpoint + ", region=" + this.region + ", forcePathStyle="
					+ this.forcePathStyle + ", accessKeyId=" + ((this.accessKeyId != null) ? "****" : null)
					+ ", secretAccessKey=" + ((this.secretAccessKey != null) ? "****" : null) + ", skipVerify="
					+ this.skipVerify + ", tls=" + ((this.tls != null) ? "custom" : null) + "]";
		}

	}

	/**
	 * TLS material of a replica's client: trust managers that decide which server certificates are
	 * accepted, key managers for a client certificate (either may be {@code null}: the JVM's default).
	 */
	public record Tls(KeyManager[] keyManagers, TrustManager[] trustManagers) {

	}

	/** A client for {@code settings}; the caller closes it. */
	public static S3Client create(Settings settings) {
		return create(settings, (builder) -> {
		});
	}

	/** A client for {@code settings}, with a last chance to adjust the builder (tests add interceptors). */
	public static S3Client create(Settings settings, Consumer<S3ClientBuilder> customizer) {
		S3ClientBuilder builder = S3Client.builder();
		configure(builder, settings);
		if (!hasStaticCredentials(settings)) {
			builder.credentialsProvider(DefaultCredentialsProvider.builder().build());
		}
		customizer.accept(builder);
		return withoutSdkRetries(builder).build();
	}

	/**
	 * Applies {@code settings} to {@code builder}: HTTP client and TLS, endpoint, path style, region,
	 * and static credentials when the settings have them (otherwise the builder's credentials provider
	 * is kept).
	 */
	public static S3ClientBuilder configure(S3ClientBuilder builder, Settings settings) {
		builder.httpClientBuilder(httpClient(settings))
			.forcePathStyle(settings.forcePathStyle() || settings.endpoint() != null);
		if (hasStaticCredentials(settings)) {
			builder.credentialsProvider(StaticCredentialsProvider
				.create(AwsBasicCredentials.create(settings.accessKeyId(), settings.secretAccessKey())));
		}
		if (settings.endpoint() != null) {
			builder.endpointOverride(URI.create(settings.endpoint()));
			// S3-compatible stores often reject or mangle the SDK's default flexible checksums
			// (aws-chunked trailers); Litestream's v1 SDK never sent them either.
			builder.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED);
			builder.responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
		}
		builder.region(region(settings));
		if (settings.region() == null || settings.region().isBlank()) {
			// Litestream asks GetBucketLocation; the SDK's cross-region access follows the redirect instead.
			builder.crossRegionAccessEnabled(settings.endpoint() == null);
		}
		return builder;
	}

	/**
	 * The region a client for {@code settings} uses: theirs, or {@code us-east-1} (as Litestream; without
	 * an endpoint, cross-region access then follows the bucket's region).
	 */
	public static Region region(Settings settings) {
		return (settings.region() != null && !settings.region().isBlank()) ? Region.of(settings.region())
				: Region.US_EAST_1;
	}

	/**
	 * Switches the SDK's retries off, keeping the rest of the builder's override configuration: the
	 * replica client's {@link S3Retry} is the only retry policy, so retries are never multiplied.
	 */
	public static S3ClientBuilder withoutSdkRetries(S3ClientBuilder builder) {
		ClientOverrideConfiguration current = builder.overrideConfiguration();
		ClientOverrideConfiguration.Builder override = (current != null) ? current.toBuilder()
				: ClientOverrideConfiguration.builder();
		return builder.overrideConfiguration(override.retryStrategy(AwsRetryStrategy.doNotRetry()).build());
	}

	private static boolean hasStaticCredentials(Settings settings) {
		return settings.accessKeyId() != null && !settings.accessKeyId().isEmpty();
	}

	private static SdkHttpClient.Builder<?> httpClient(Settings settings) {
		if (settings.skipVerify()) {
			return new TrustAllHttpClientBuilder();
		}
		ApacheHttpClient.Builder builder = ApacheHttpClient.builder();
		Tls tls = settings.tls();
		if (tls != null) {
			if (tls.trustManagers() != null) {
				builder.tlsTrustManagersProvider(tls::trustManagers);
			}
			if (tls.keyManagers() != null) {
				builder.tlsKeyManagersProvider(tls::keyManagers);
			}
		}
		return builder;
	}

	/** Apache client builder that trusts every certificate and host name (Litestream's skip-verify). */
	private static final class TrustAllHttpClientBuilder implements SdkHttpClient.Builder<TrustAllHttpClientBuilder> {

		@Override
		public SdkHttpClient buildWithDefaults(AttributeMap serviceDefaults) {
			AttributeMap trustAll = AttributeMap.builder()
				.put(SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, Boolean.TRUE)
				.build();
			return ApacheHttpClient.builder().buildWithDefaults(trustAll.merge(serviceDefaults));
		}

	}

}
