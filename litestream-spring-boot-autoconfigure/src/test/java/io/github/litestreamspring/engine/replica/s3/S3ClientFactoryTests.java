package io.github.litestreamspring.engine.replica.s3;

import java.io.ByteArrayInputStream;
import java.io.InputStream;

import io.github.litestreamspring.engine.Pos;
import org.junit.jupiter.api.Test;

import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;

/** Clients built from Litestream-style settings. */
class S3ClientFactoryTests {

	@Test
	void neverPrintsCredentials() {
		S3ClientFactory.Settings settings = S3ClientFactory.Settings.from(S3ReplicaUrl.parse("s3://b.localhost:9000/db"))
			.withCredentials("AKIAEXAMPLE", "super-secret-value");

		assertThat(settings.toString()).doesNotContain("super-secret-value").doesNotContain("AKIAEXAMPLE")
			.contains("http://localhost:9000");
	}

	@Test
	void builtClientTalksToS3ProxyWithStaticCredentials() throws Exception {
		S3ProxyServer server = S3ProxyServer.shared();
		server.createBucket("factory");
		S3ClientFactory.Settings settings = new S3ClientFactory.Settings(server.endpoint().toString(), null, true,
				S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY, false);

		try (S3Client s3 = S3ClientFactory.create(settings)) {
			S3ReplicaClient client = new S3ReplicaClient(s3, "factory", "db", S3ReplicaOptions.defaults());
			client.writeWalSegment(new Pos("0123456789abcdef", 1, 0), new ByteArrayInputStream(new byte[] { 42 }));

			try (InputStream in = client.openWalSegment(new Pos("0123456789abcdef", 1, 0))) {
				assertThat(in.readAllBytes()).containsExactly(42);
			}
			assertThat(s3.serviceClientConfiguration().region().id()).isEqualTo("us-east-1");
		}
	}

	@Test
	void buildsSkipVerifyClient() {
		S3ClientFactory.Settings settings = new S3ClientFactory.Settings("https://127.0.0.1:1", "eu-west-1", true, "a",
				"b", true);

		try (S3Client s3 = S3ClientFactory.create(settings)) {
			assertThat(s3.serviceClientConfiguration().region().id()).isEqualTo("eu-west-1");
		}
	}

}
