package io.github.litestreamspring.engine.replica.s3;

import java.util.UUID;

import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.replica.ReplicaClientContractTests;
import io.github.litestreamspring.engine.ReplicaPaths;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The replica contract against LocalStack's S3, a closer imitation of AWS than S3Proxy. Skipped where
 * there is no Docker engine.
 */
@Testcontainers(disabledWithoutDocker = true)
class S3ReplicaClientLocalStackTests extends ReplicaClientContractTests {

	static final String BUCKET = "contract";

	@Container
	static final LocalStackContainer localStack = new LocalStackContainer(
			DockerImageName.parse("localstack/localstack:4.12.0")).withServices("s3");

	static S3Client s3;

	String root;

	@BeforeAll
	static void createBucket() {
		s3 = S3ClientFactory.create(new S3ClientFactory.Settings(localStack.getEndpoint().toString(),
				localStack.getRegion(), true, localStack.getAccessKey(), localStack.getSecretKey(), false));
		s3.createBucket((b) -> b.bucket(BUCKET));
	}

	@AfterAll
	static void closeS3() {
		if (s3 != null) {
			s3.close();
		}
	}

	@Override
	protected ReplicaClient newClient() {
		this.root = "tests/" + UUID.randomUUID() + "/db";
		return new S3ReplicaClient(s3, BUCKET, this.root, S3ReplicaOptions.defaults().withPartSize(5 * 1024 * 1024));
	}

	@Override
	protected void writeForeignObject(String relativeKey, byte[] data) {
		s3.putObject((b) -> b.bucket(BUCKET).key(ReplicaPaths.join(this.root, relativeKey)), RequestBody.fromBytes(data));
	}

}
