package io.github.litestreamspring.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The S3 client that replicas without settings of their own share is built as Spring Cloud AWS builds
 * the application's: path-style addressing only with {@code spring.cloud.aws.s3.path-style-access-enabled},
 * also when an endpoint is set.
 */
class CliSharedS3ClientTests {

	@TempDir
	Path dir;

	@Test
	void theSharedClientAddressesBucketsPathStyleOnlyWhenSpringCloudAwsIsToldTo() throws Exception {
		assertThat(urlOfAnObject("")).isEqualTo("http://my-bucket.minio.internal:9000/key");
		assertThat(urlOfAnObject("        path-style-access-enabled: true\n"))
			.isEqualTo("http://minio.internal:9000/my-bucket/key");
	}

	private String urlOfAnObject(String s3Properties) throws Exception {
		Path yaml = Files.writeString(this.dir.resolve("application.yml"), """
				spring:
				  cloud:
				    aws:
				      endpoint: http://minio.internal:9000
				      region:
				        static: eu-west-1
				      s3:
				%s
				litestream:
				  replicas:
				    - url: s3://my-bucket/app.db
				""".formatted(s3Properties));
		CliConfiguration configuration = CliConfiguration.load(yaml, Map.of(), List.of());
		try (S3Client client = OpenReplicas.SharedS3Client.create(configuration.litestream().getReplicas(),
				configuration).orElseThrow()) {
			return client.utilities().getUrl((b) -> b.bucket("my-bucket").key("key")).toString();
		}
	}

}
