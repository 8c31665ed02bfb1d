package io.github.litestreamspring.engine.replica.s3;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.litestreamspring.engine.replica.Checksums;
import io.github.litestreamspring.engine.replica.GeneratedInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A 200 MiB snapshot streamed through the client by a child JVM limited to 64 MiB of heap: the upload
 * can only succeed if memory is bounded by one part, not by the object.
 */
class S3ReplicaClientLargeUploadTests {

	static final String BUCKET = "large";

	static final String GEN = "0123456789abcdef";

	static final long SIZE = 200L * 1024 * 1024 + 4321;

	@Test
	@Timeout(value = 300, unit = TimeUnit.SECONDS)
	void streamsTwoHundredMebibytesWithSixtyFourMebibyteHeap() throws Exception {
		S3ProxyServer server = S3ProxyServer.shared();
		server.createBucket(BUCKET);
		String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
		Process child = new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
				LargeUploadMain.class.getName(), server.endpoint().toString(), S3ProxyServer.ACCESS_KEY,
				S3ProxyServer.SECRET_KEY, BUCKET, "big", GEN, Long.toString(SIZE), "11")
			.redirectErrorStream(true)
			.start();
		String output;
		boolean exited;
		try {
			// The child's output is small: read it all, then wait (bounded) for the exit code.
			output = readBounded(child);
			exited = child.waitFor(240, TimeUnit.SECONDS);
		}
		finally {
			child.destroyForcibly();
		}

		assertThat(exited).as("child exited in time; output:%n%s", "").isTrue();
		assertThat(child.exitValue()).as("child exit code; output:%n%s", output).isZero();
		assertThat(output).contains("uploaded " + SIZE + " bytes");
		try (S3Client s3 = server.client()) {
			HeadObjectResponse head = s3.headObject((b) -> b.bucket(BUCKET)
				.key("big/generations/" + GEN + "/snapshots/00000001.snapshot.lz4"));
			assertThat(head.contentLength()).isEqualTo(SIZE);
			S3ReplicaClient client = new S3ReplicaClient(s3, BUCKET, "big", S3ReplicaOptions.defaults());
			assertThat(client.snapshots(GEN)).singleElement().extracting((s) -> s.size()).isEqualTo(SIZE);
			assertThat(Checksums.sha256(client.openSnapshot(GEN, 1)))
				.isEqualTo(Checksums.sha256(new GeneratedInputStream(SIZE, 11)));
		}
	}

	private static String readBounded(Process child) throws IOException {
		byte[] all = child.getInputStream().readAllBytes();
		String s = new String(all, StandardCharsets.UTF_8);
		return String.join("\n", List.of(s.split("\n")).stream().limit(200).toList());
	}

}
