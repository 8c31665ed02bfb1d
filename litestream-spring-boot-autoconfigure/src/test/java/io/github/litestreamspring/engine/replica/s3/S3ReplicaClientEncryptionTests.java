package io.github.litestreamspring.engine.replica.s3;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Base64;

import io.github.litestreamspring.engine.replica.GeneratedInputStream;
import io.github.litestreamspring.engine.Pos;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * SSE and storage-class headers on the wire. S3Proxy answers any SSE header with 501 NotImplemented,
 * so these tests talk to a {@link LoopbackS3Recorder} that records the headers as received; one test
 * pins S3Proxy's refusal so that it is reported clearly and not retried.
 */
class S3ReplicaClientEncryptionTests {

	static final String GEN = "0123456789abcdef";

	static final byte[] KEY = new byte[32];

	static {
		for (int i = 0; i < KEY.length; i++) {
			KEY[i] = (byte) (i * 7 + 1);
		}
	}

	LoopbackS3Recorder recorder;

	S3Client s3;

	@BeforeEach
	void startRecorder() throws IOException {
		this.recorder = new LoopbackS3Recorder();
		this.s3 = S3Client.builder()
			.endpointOverride(this.recorder.endpoint())
			.region(Region.US_EAST_1)
			.forcePathStyle(true)
			.httpClientBuilder(ApacheHttpClient.builder())
			.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
			.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")))
			.build();
	}

	@AfterEach
	void stopRecorder() {
		this.s3.close();
		this.recorder.close();
	}

	@Test
	void sendsSseS3AndStorageClassOnPut() throws IOException {
		S3ReplicaClient client = client(S3ReplicaOptions.defaults()
			.withEncryption(S3ReplicaOptions.Encryption.sseS3())
			.withStorageClass("STANDARD_IA"));

		client.writeWalSegment(new Pos(GEN, 1, 0), new GeneratedInputStream(100, 1));

		LoopbackS3Recorder.Request put = only("PutObject");
		assertThat(put.header("x-amz-server-side-encryption")).isEqualTo("AES256");
		assertThat(put.header("x-amz-storage-class")).isEqualTo("STANDARD_IA");
		assertThat(put.path()).isEqualTo("/bucket/db/generations/" + GEN + "/wal/00000001_00000000.wal.lz4");
		// Over plain HTTP the SDK signs the payload in aws-chunked frames; the decoded length is ours.
		assertThat(put.header("x-amz-decoded-content-length")).isEqualTo("100");
	}

	@Test
	void sendsSseKmsWithKeyIdOnCreateMultipartUploadOnly() throws IOException {
		S3ReplicaClient client = client(S3ReplicaOptions.defaults()
			.withPartSize(S3ReplicaOptions.MIN_PART_SIZE)
			.withStorageClass("GLACIER_IR")
			.withEncryption(S3ReplicaOptions.Encryption.sseKms("alias/litestream")));

		client.writeSnapshot(GEN, 1, new GeneratedInputStream(S3ReplicaOptions.MIN_PART_SIZE + 10, 2));

		LoopbackS3Recorder.Request create = only("CreateMultipartUpload");
		assertThat(create.header("x-amz-server-side-encryption")).isEqualTo("aws:kms");
		assertThat(create.header("x-amz-server-side-encryption-aws-kms-key-id")).isEqualTo("alias/litestream");
		assertThat(create.header("x-amz-storage-class")).isEqualTo("GLACIER_IR");
		// S3 rejects SSE-KMS headers on UploadPart: they belong to the upload, not its parts.
		assertThat(this.recorder.requests()).filteredOn((r) -> r.operation().equals("UploadPart"))
			.hasSize(2)
			.allSatisfy((r) -> assertThat(r.header("x-amz-server-side-encryption")).isNull());
	}

	@Test
	void sendsSseCustomerKeyAndItsMd5OnEveryWriteAndRead() throws Exception {
		String key = Base64.getEncoder().encodeToString(KEY);
		String md5 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(KEY));
		S3ReplicaClient client = client(S3ReplicaOptions.defaults()
			.withPartSize(S3ReplicaOptions.MIN_PART_SIZE)
			.withEncryption(S3ReplicaOptions.Encryption.sseC(key)));

		client.writeSnapshot(GEN, 1, new GeneratedInputStream(S3ReplicaOptions.MIN_PART_SIZE + 10, 3));
		client.writeWalSegment(new Pos(GEN, 1, 0), new GeneratedInputStream(10, 3));
		try (InputStream in = client.openWalSegment(new Pos(GEN, 1, 0))) {
			assertThat(in.readAllBytes()).hasSize(7);
		}

		assertThat(this.recorder.requests()).extracting(LoopbackS3Recorder.Request::operation)
			.containsExactly("CreateMultipartUpload", "UploadPart", "UploadPart", "CompleteMultipartUpload", "PutObject",
					"GetObject");
		assertThat(this.recorder.requests()).filteredOn((r) -> !r.operation().equals("CompleteMultipartUpload"))
			.allSatisfy((r) -> {
				assertThat(r.header("x-amz-server-side-encryption-customer-algorithm")).as(r.operation()).isEqualTo("AES256");
				assertThat(r.header("x-amz-server-side-encryption-customer-key")).as(r.operation()).isEqualTo(key);
				assertThat(r.header("x-amz-server-side-encryption-customer-key-MD5")).as(r.operation()).isEqualTo(md5);
			});
	}

	@Test
	void sendsNoSseHeaderByDefault() throws IOException {
		client(S3ReplicaOptions.defaults()).writeWalSegment(new Pos(GEN, 2, 0), new GeneratedInputStream(10, 4));

		assertThat(only("PutObject").headers().keySet())
			.noneMatch((h) -> h.toLowerCase().startsWith("x-amz-server-side-encryption")
					|| h.equalsIgnoreCase("x-amz-storage-class"));
	}

	@Test
	void hidesCustomerKeyInToString() {
		String key = Base64.getEncoder().encodeToString(KEY);
		S3ReplicaClient client = client(S3ReplicaOptions.defaults().withEncryption(S3ReplicaOptions.Encryption.sseC(key)));

		assertThat(client.toString()).doesNotContain(key).contains("SSE-C");
		assertThat(client.options().toString()).doesNotContain(key);
	}

	@Test
	void s3ProxyRefusesSseOnceWithoutRetrying() {
		S3ProxyServer server = S3ProxyServer.shared();
		server.createBucket("encryption");
		RecordingInterceptor attempts = new RecordingInterceptor();
		try (S3Client proxy = server.client((b) -> b.overrideConfiguration((o) -> o.addExecutionInterceptor(attempts)))) {
			S3ReplicaClient client = new S3ReplicaClient(proxy, "encryption", "db",
					S3ReplicaOptions.defaults().withEncryption(S3ReplicaOptions.Encryption.sseS3()));

			assertThatExceptionOfType(S3ReplicaException.class)
				.isThrownBy(() -> client.writeWalSegment(new Pos(GEN, 1, 0), new GeneratedInputStream(10, 5)))
				.withMessageContaining("501 NotImplemented")
				.withMessageContaining("s3://encryption/db/generations/" + GEN);
			assertThat(attempts.count("PutObject")).isEqualTo(1);
		}
	}

	private S3ReplicaClient client(S3ReplicaOptions options) {
		return new S3ReplicaClient(this.s3, "bucket", "db", options.withRetry(S3ReplicaOptions.RetryPolicy.none()));
	}

	private LoopbackS3Recorder.Request only(String operation) {
		return this.recorder.requests().stream().filter((r) -> r.operation().equals(operation)).reduce((a, b) -> {
			throw new AssertionError("more than one " + operation);
		}).orElseThrow(() -> new AssertionError("no " + operation + " in " + this.recorder.requests()));
	}

}
