package io.github.litestreamspring.engine.replica.s3;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.WalSegmentInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;

/** Listings follow continuation tokens to the end; deletes go in batches of at most 1000 keys. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S3ReplicaClientPaginationTests {

	static final String BUCKET = "pagination";

	static final String GEN = "0123456789abcdef";

	static final RecordingInterceptor calls = new RecordingInterceptor();

	static S3Client s3;

	@BeforeAll
	static void startServer() {
		S3ProxyServer.shared().createBucket(BUCKET);
		s3 = S3ProxyServer.shared().client((b) -> b.overrideConfiguration((o) -> o.addExecutionInterceptor(calls)));
	}

	@AfterAll
	static void closeS3() {
		s3.close();
	}

	@BeforeEach
	void clear() {
		calls.clear();
	}

	@Test
	void followsContinuationTokensWithSmallPages() throws Exception {
		S3ReplicaClient client = client(S3ReplicaOptions.defaults().withMaxKeys(50));
		writeSegments(client, 230);
		calls.clear();

		List<WalSegmentInfo> segments = client.walSegments(GEN);

		assertThat(segments).hasSize(230);
		assertThat(segments).isSortedAccordingTo((a, b) -> a.pos().compareTo(b.pos()));
		assertThat(calls.count("ListObjectsV2")).isEqualTo(5);
	}

	@Test
	void listsAndDeletesMoreThanOneThousandObjects() throws Exception {
		S3ReplicaClient client = client(S3ReplicaOptions.defaults());
		writeSegments(client, 1100);
		calls.clear();

		List<WalSegmentInfo> segments = client.walSegments(GEN);

		assertThat(segments).hasSize(1100);
		assertThat(segments.get(1099).pos()).isEqualTo(new Pos(GEN, 10, 99 * 4120L));
		assertThat(calls.count("ListObjectsV2")).isEqualTo(2);

		calls.clear();
		client.deleteWalSegments(segments);

		assertThat(calls.count("DeleteObjects")).isEqualTo(2);
		assertThat(client.walSegments(GEN)).isEmpty();
	}

	@Test
	void deleteGenerationRemovesMoreThanOneThousandObjects() throws Exception {
		S3ReplicaClient client = client(S3ReplicaOptions.defaults().withMaxKeys(400));
		writeSegments(client, 1050);
		client.writeSnapshot(GEN, 1, new ByteArrayInputStream(new byte[] { 1 }));
		calls.clear();

		client.deleteGeneration(GEN);

		assertThat(calls.count("DeleteObjects")).isEqualTo(2);
		assertThat(client.generations()).isEmpty();
	}

	private static S3ReplicaClient client(S3ReplicaOptions options) {
		return new S3ReplicaClient(s3, BUCKET, "pages/" + UUID.randomUUID(), options);
	}

	/** {@code count} one-byte segments: 100 offsets per index, written from a few threads. */
	private static void writeSegments(S3ReplicaClient client, int count) throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(8);
		try {
			List<Future<?>> futures = new ArrayList<>();
			for (int i = 0; i < count; i++) {
				Pos pos = new Pos(GEN, i / 100, (i % 100) * 4120L);
				futures.add(pool.submit(() -> client.writeWalSegment(pos, new ByteArrayInputStream(new byte[] { 1 }))));
			}
			for (Future<?> f : futures) {
				f.get(60, TimeUnit.SECONDS);
			}
		}
		finally {
			pool.shutdownNow();
			pool.awaitTermination(10, TimeUnit.SECONDS);
		}
	}

}
