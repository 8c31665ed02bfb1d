package io.github.litestreamspring.engine.replica.s3;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** Litestream v0.3.13's {@code s3://} URL forms and provider host patterns. */
class S3ReplicaUrlTests {

	@Test
	void plainBucketIsAwsWithVirtualHostStyle() {
		S3ReplicaUrl url = S3ReplicaUrl.parse("s3://my-bucket/some/prefix");

		assertThat(url).isEqualTo(new S3ReplicaUrl("my-bucket", "some/prefix", null, null, false));
	}

	@ParameterizedTest
	@CsvSource(delimiter = '|', nullValues = "-", textBlock = """
			s3://b                          | ''
			s3://b/                         | ''
			s3://b/db                       | db
			s3://b//a//b/                   | a/b
			s3://b/a/./c/../d               | a/d
			s3://b/a/b?endpoint=x           | a/b
			""")
	void cleansPathAndStripsLeadingSlash(String url, String path) {
		assertThat(S3ReplicaUrl.parse(url).path()).isEqualTo(path);
	}

	@ParameterizedTest
	@CsvSource(delimiter = '|', nullValues = "-", textBlock = """
			s3://bkt.localhost/db                       | bkt | http://localhost                           | us-east-1
			s3://bkt.localhost:9000/db                  | bkt | http://localhost:9000                      | us-east-1
			s3://my.bkt.localhost:9000/db               | my.bkt | http://localhost:9000                   | us-east-1
			s3://bkt.s3.us-west-002.backblazeb2.com/db  | bkt | https://s3.us-west-002.backblazeb2.com     | us-west-002
			s3://bkt.s3.filebase.com/db                 | bkt | https://s3.filebase.com                    | -
			s3://bkt.nyc3.digitaloceanspaces.com/db     | bkt | https://nyc3.digitaloceanspaces.com        | nyc3
			s3://bkt.s3.fr-par.scw.cloud/db             | bkt | https://s3.fr-par.scw.cloud                | fr-par
			s3://bkt.us-east-1.linodeobjects.com/db     | bkt | https://us-east-1.linodeobjects.com        | us-east-1
			s3://bkt.s3.filebase.com:8443/db            | bkt | https://s3.filebase.com:8443               | -
			""")
	void recognisesProviderHosts(String url, String bucket, String endpoint, String region) {
		S3ReplicaUrl parsed = S3ReplicaUrl.parse(url);

		assertThat(parsed.bucket()).isEqualTo(bucket);
		assertThat(parsed.endpoint()).isEqualTo(endpoint);
		assertThat(parsed.region()).isEqualTo(region);
		assertThat(parsed.forcePathStyle()).isTrue();
		assertThat(parsed.path()).isEqualTo("db");
	}

	@Test
	void unknownHostWithPortIsTheBucket() {
		S3ReplicaUrl url = S3ReplicaUrl.parse("s3://bucket.example.com:9000/x");

		assertThat(url.bucket()).isEqualTo("bucket.example.com");
		assertThat(url.endpoint()).isNull();
		assertThat(url.forcePathStyle()).isFalse();
	}

	@Test
	void rejectsOtherSchemesMissingBucketsAndCredentials() {
		assertThatIllegalArgumentException().isThrownBy(() -> S3ReplicaUrl.parse("file:///tmp/x"))
			.withMessageContaining("not an s3://");
		assertThatIllegalArgumentException().isThrownBy(() -> S3ReplicaUrl.parse("s3:///path"))
			.withMessageContaining("no bucket");
		assertThatIllegalArgumentException().isThrownBy(() -> S3ReplicaUrl.parse("s3://localhost/path"))
			.withMessageContaining("no bucket");
		assertThatIllegalArgumentException().isThrownBy(() -> S3ReplicaUrl.parse("s3://AKIA:SECRET@bucket/path"))
			.withMessageNotContaining("SECRET");
	}

	@Test
	void printsAsBucketAndPath() {
		assertThat(S3ReplicaUrl.parse("s3://bkt.localhost:9000/a/b")).hasToString("s3://bkt/a/b");
	}

}
