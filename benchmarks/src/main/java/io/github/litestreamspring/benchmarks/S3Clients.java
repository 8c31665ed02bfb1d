package io.github.litestreamspring.benchmarks;

import java.net.URI;

import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3 clients for an S3Proxy endpoint on loopback, possibly reached through a {@link CountingProxy}:
 * path style, the test credentials, and checksums only where required (as the Spring layer
 * configures them for S3-compatible servers).
 */
final class S3Clients {

	static final String REGION = "us-east-1";

	private S3Clients() {
	}

	static S3Client client(URI endpoint) {
		return S3Client.builder()
			.endpointOverride(endpoint)
			.region(Region.of(REGION))
			.forcePathStyle(true)
			.httpClientBuilder(ApacheHttpClient.builder())
			.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
			.credentialsProvider(StaticCredentialsProvider
				.create(AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
			.build();
	}

}
