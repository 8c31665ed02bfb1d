package io.github.litestreamspring.engine.replica.s3;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongPredicate;

import io.github.litestreamspring.engine.CompactedWalInfo;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The listings of one S3 replica path ({@link S3ReplicaClient}'s): every page of {@code ListObjectsV2},
 * each page request retried on its own, the keys parsed into the replica's records and sorted. Names
 * that do not parse are ignored. Generation names are checked by the caller.
 */
final class S3Listing {

	private final S3Client s3;

	private final String bucket;

	private final String root;

	private final S3Retry retry;

	/** Keys per page; 0 for the store's default. */
	private final int maxKeys;

	S3Listing(S3Client s3, String bucket, String root, S3Retry retry, int maxKeys) {
		this.s3 = s3;
		this.bucket = bucket;
		this.root = root;
		this.retry = retry;
		this.maxKeys = maxKeys;
	}

	List<String> generations() throws IOException {
		String prefix = ReplicaPaths.generationsPath(this.root) + "/";
		List<String> result = new ArrayList<>();
		list(prefix, "/", (page) -> {
			for (CommonPrefix cp : page.commonPrefixes()) {
				String name = cp.prefix().substring(prefix.length());
				name = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
				if (ReplicaPaths.isGenerationName(name)) {
					result.add(name);
				}
			}
		});
		result.sort(Comparator.naturalOrder());
		return result;
	}

	List<SnapshotInfo> snapshots(String generation) throws IOException {
		String prefix = ReplicaPaths.snapshotsPath(this.root, generation) + "/";
		List<SnapshotInfo> result = new ArrayList<>();
		list(prefix, null, (page) -> {
			for (S3Object o : page.contents()) {
				long index = ReplicaPaths.parseSnapshotName(o.key().substring(prefix.length()));
				if (index >= 0) {
					result.add(new SnapshotInfo(generation, index, size(o), createdAt(o)));
				}
			}
		});
		result.sort(Comparator.comparingLong(SnapshotInfo::index));
		return result;
	}

	List<WalSegmentInfo> walSegments(String generation, long fromIndex) throws IOException {
		// Keys are <index>_<offset>.wal.lz4 in hex: every key of fromIndex and later sorts after "<index>".
		String walPrefix = ReplicaPaths.walPath(this.root, generation) + "/";
		return walSegments(generation, walPrefix, walPrefix + ReplicaPaths.formatIndex(fromIndex),
				(index) -> index >= fromIndex);
	}

	List<WalSegmentInfo> walSegmentsInIndex(String generation, long index) throws IOException {
		String walPrefix = ReplicaPaths.walPath(this.root, generation) + "/";
		return walSegments(generation, walPrefix + ReplicaPaths.formatIndex(index) + "_", null, (i) -> i == index);
	}

	/** The segments listed under {@code keyPrefix} (from {@code startAfter}) whose index is wanted, sorted. */
	private List<WalSegmentInfo> walSegments(String generation, String keyPrefix, String startAfter,
			LongPredicate wanted) throws IOException {
		String walPrefix = ReplicaPaths.walPath(this.root, generation) + "/";
		List<WalSegmentInfo> result = new ArrayList<>();
		list(keyPrefix, null, startAfter, (page) -> {
			for (S3Object o : page.contents()) {
				long[] parsed = ReplicaPaths.parseWalSegmentName(o.key().substring(walPrefix.length()));
				if (parsed != null && wanted.test(parsed[0])) {
					result.add(new WalSegmentInfo(generation, parsed[0], parsed[1], size(o), createdAt(o)));
				}
			}
		});
		result.sort(Comparator.comparingLong(WalSegmentInfo::index).thenComparingLong(WalSegmentInfo::offset));
		return result;
	}

	List<CompactedWalInfo> compactedWals(String generation) throws IOException {
		String prefix = ReplicaPaths.compactedPath(this.root, generation) + "/";
		List<CompactedWalInfo> result = new ArrayList<>();
		list(prefix, null, (page) -> {
			for (S3Object o : page.contents()) {
				CompactedWalInfo wal = CompactedWalInfo.of(generation, o.key().substring(prefix.length()), size(o),
						createdAt(o));
				if (wal != null) {
					result.add(wal);
				}
			}
		});
		result.sort(Comparator.comparingLong(CompactedWalInfo::index));
		return result;
	}

	/** Every key under {@code prefix}. */
	List<String> keys(String prefix) throws IOException {
		List<String> keys = new ArrayList<>();
		list(prefix, null, (page) -> page.contents().forEach((o) -> keys.add(o.key())));
		return keys;
	}

	/** Walks every page of a listing; each page request is retried on its own. */
	private void list(String prefix, String delimiter, Consumer<ListObjectsV2Response> pageConsumer)
			throws IOException {
		list(prefix, delimiter, null, pageConsumer);
	}

	private void list(String prefix, String delimiter, String startAfter, Consumer<ListObjectsV2Response> pageConsumer)
			throws IOException {
		String token = null;
		do {
			ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(this.bucket).prefix(prefix)
					.delimiter(delimiter).continuationToken(token);
			if (startAfter != null && token == null) {
				request.startAfter(startAfter);
			}
			if (this.maxKeys > 0) {
				request.maxKeys(this.maxKeys);
			}
			ListObjectsV2Request page = request.build();
			ListObjectsV2Response response = this.retry.call("ListObjectsV2", prefix, () -> this.s3.listObjectsV2(page));
			pageConsumer.accept(response);
			token = Boolean.TRUE.equals(response.isTruncated()) ? response.nextContinuationToken() : null;
		}
		while (token != null);
	}

	private static long size(S3Object o) {
		return (o.size() != null) ? o.size() : 0;
	}

	private static Instant createdAt(S3Object o) {
		return (o.lastModified() != null) ? o.lastModified() : Instant.EPOCH;
	}

}
