package io.github.litestreamspring.engine.replica.s3;

import io.github.litestreamspring.engine.replica.GeneratedInputStream;
import io.github.litestreamspring.engine.SnapshotInfo;

import software.amazon.awssdk.services.s3.S3Client;

/**
 * Run in a child JVM with a small heap by {@link S3ReplicaClientLargeUploadTests}: streams a large
 * generated snapshot through {@link S3ReplicaClient}. Exits 0 only if the upload succeeded, so an
 * {@code OutOfMemoryError} (memory growing with object size) fails the test.
 * <p>
 * Arguments: endpoint, access key, secret key, bucket, root, generation, size, seed.
 */
public final class LargeUploadMain {

	private LargeUploadMain() {
	}

	public static void main(String[] args) throws Exception {
		S3ClientFactory.Settings settings = new S3ClientFactory.Settings(args[0], "us-east-1", true, args[1], args[2],
				false);
		long size = Long.parseLong(args[6]);
		try (S3Client s3 = S3ClientFactory.create(settings)) {
			S3ReplicaClient client = new S3ReplicaClient(s3, args[3], args[4], S3ReplicaOptions.defaults());
			SnapshotInfo info = client.writeSnapshot(args[5], 1, new GeneratedInputStream(size, Long.parseLong(args[7])));
			if (info.size() != size) {
				System.err.println("wrote " + info.size() + " bytes, expected " + size);
				System.exit(2);
			}
			System.out.println("uploaded " + info.size() + " bytes, max heap " + Runtime.getRuntime().maxMemory());
		}
	}

}
