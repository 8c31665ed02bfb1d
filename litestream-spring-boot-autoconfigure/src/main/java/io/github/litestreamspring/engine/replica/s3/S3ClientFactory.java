package io.github.litestreamspring.engine.replica.s3;

import java.net.URI;
import java.util.function.Consumer;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.utils.AttributeMap;

/**
 * Builds an {@link S3Client} from Litestream-style replica settings (URL or YAML fields), for
 * replicas that are not given an application's client. The SDK's own retries are switched off:
 * {@link S3Retry} decides, so that a wrong credential fails once and a throttled call backs off once.
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
	 */
	public record Settings(String endpoint, String region, boolean forcePathStyle, String accessKeyId,
			String secretAccessKey, boolean skipVerify) {

		/** Endpoint, region and path style from a parsed URL; default credentials, TLS verified. */
		public static Settings from(S3ReplicaUrl url) {
			return new Settings(url.endpoint(), url.region(), url.forcePathStyle(), null, null, false);
		}

		public Settings withCredentials(String accessKeyId, String secretAccessKey) {
			return new Settings(this.endpoint, this.region, this.forcePathStyle, accessKeyId, secretAccessKey,
					this.skipVerify);
		}

		public Settings withSkipVerify(boolean skipVerify) {
			return new Settings(this.endpoint, this.region, this.forcePathStyle, this.accessKeyId,
					this.secretAccessKey, skipVerify);
		}

		@Override
		public String toString() {
			return "Settings[endpoint=" + this.endpoint + ", region=" + this.region + ", forcePathStyle="
					+ this.forcePathStyle + ", accessKeyId=" + ((this.accessKeyId != null) ? "****" : null)
					+ ", secretAccessKey=" + ((this.secretAccessKey != null) ? "****" : null) + ", skipVerify="
					+ this.skipVerify + "]";
		}

	}

	/** A client for {@code settings}; the caller closes it. */
	public static S3Client create(Settings settings) {
		return create(settings, (builder) -> {
		});
	}

	/** A client for {@code settings}, with a last chance to adjust the builder (tests add interceptors). */
	public static S3Client create(Settings settings, Consumer<S3ClientBuilder> customizer) {
		S3ClientBuilder builder = S3Client.builder().httpClientBuilder(httpClient(settings.skipVerify()))
				.credentialsProvider(credentials(settings))
				.forcePathStyle(settings.forcePathStyle() || settings.endpoint() != null)
				.overrideConfiguration((o) -> o.retryStrategy(AwsRetryStrategy.doNotRetry()));
		if (settings.endpoint() != null) {
			builder.endpointOverride(URI.create(settings.endpoint()));
			// S3-compatible stores often reject or mangle the SDK's default flexible checksums
			// (aws-chunked trailers); Litestream's v1 SDK never sent them either.
			builder.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED);
			builder.responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
		}
		if (settings.region() != null && !settings.region().isBlank()) {
			builder.region(Region.of(settings.region()));
		}
		else {
			builder.region(Region.US_EAST_1);
			// Litestream asks GetBucketLocation; the SDK's cross-region access follows the redirect instead.
			builder.crossRegionAccessEnabled(settings.endpoint() == null);
		}
		customizer.accept(builder);
		return builder.build();
	}

	private static AwsCredentialsProvider credentials(Settings settings) {
		if (settings.accessKeyId() != null && !settings.accessKeyId().isEmpty()) {
			return StaticCredentialsProvider
				.create(AwsBasicCredentials.create(settings.accessKeyId(), settings.secretAccessKey()));
		}
		return DefaultCredentialsProvider.builder().build();
	}

	private static SdkHttpClient.Builder<?> httpClient(boolean skipVerify) {
		if (!skipVerify) {
			return ApacheHttpClient.builder();
		}
		return new TrustAllHttpClientBuilder();
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
