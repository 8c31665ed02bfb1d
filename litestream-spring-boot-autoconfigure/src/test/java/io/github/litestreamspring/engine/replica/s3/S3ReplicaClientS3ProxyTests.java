package io.github.litestreamspring.engine.replica.s3;

import java.util.UUID;

import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.replica.ReplicaClientContractTests;
import io.github.litestreamspring.engine.ReplicaPaths;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;

/** The replica contract against S3Proxy (filesystem backend) in a child process. */
class S3ReplicaClientS3ProxyTests extends ReplicaClientContractTests {

	static final String BUCKET = "contract";

	static S3Client s3;

	String root;

	@BeforeAll
	static void startServer() {
		S3ProxyServer server = S3ProxyServer.shared();
		server.createBucket(BUCKET);
		s3 = server.client();
	}

	@AfterAll
	static void closeS3() {
		s3.close();
	}

	@Override
	protected ReplicaClient newClient() {
		this.root = "tests/" + UUID.randomUUID() + "/db";
		// 5 MiB parts so that the 20 MiB large-object test runs a multipart upload of several parts.
		return new S3ReplicaClient(s3, BUCKET, this.root, S3ReplicaOptions.defaults().withPartSize(5 * 1024 * 1024));
	}

	@Override
	protected void writeForeignObject(String relativeKey, byte[] data) {
		s3.putObject((b) -> b.bucket(BUCKET).key(ReplicaPaths.join(this.root, relativeKey)), RequestBody.fromBytes(data));
	}

	@Test
	void writesKeysByteIdenticalToLitestream() throws Exception {
		this.client.writeSnapshot(GEN, 0x7a, bytes("s"));
		this.client.writeWalSegment(new io.github.litestreamspring.engine.Pos(GEN, 0x7a, 0x1038), bytes("w"));

		assertThat(s3.listObjectsV2((b) -> b.bucket(BUCKET).prefix(this.root + "/")).contents())
			.extracting((o) -> o.key())
			.containsExactly(this.root + "/generations/" + GEN + "/snapshots/0000007a.snapshot.lz4",
					this.root + "/generations/" + GEN + "/wal/0000007a_00001038.wal.lz4");
	}

	@Test
	void missingObjectMessageNamesS3Url() {
		org.assertj.core.api.Assertions.assertThatThrownBy(() -> this.client.openSnapshot(GEN, 1))
			.isInstanceOf(java.io.FileNotFoundException.class)
			.hasMessageContaining("s3://" + BUCKET + "/" + this.root + "/generations/" + GEN
					+ "/snapshots/00000001.snapshot.lz4");
	}

}
