package io.github.litestreamspring.engine.replica.s3;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import io.github.litestreamspring.engine.CompactedWalInfo;
import io.github.litestreamspring.engine.GuardedWrites;
import io.github.litestreamspring.engine.LeaseObject;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Error;
import io.github.litestreamspring.engine.WriteGuard;

/**
 * A replica in an S3 bucket (or an S3-compatible store), with keys byte-identical to Litestream
 * v0.3.13's: {@code <root>/generations/<generation>/...} built by {@link ReplicaPaths}.
 * <p>
 * Listings always follow continuation tokens and are sorted here, never trusting the store's order.
 * Writes stream with memory bounded by one part ({@link S3Uploader}); large snapshots are read as
 * parallel byte ranges pinned to one ETag ({@link RangedObjectInputStream}). Every call goes through
 * {@link S3Retry}. The lease object {@code <root>/lease.json} is written with S3 conditional writes
 * ({@code If-None-Match: *} to create, {@code If-Match: <etag>} to replace); a 412 or 409 answer means
 * another writer got there first. The given {@link S3Client} is not closed by {@link #close()} unless the replica
 * was created with {@link #owning}.
 */
public final class S3ReplicaClient implements ReplicaClient, GuardedWrites {

	/** DeleteObjects accepts at most this many keys per request. */
	static final int DELETE_BATCH = 1000;

	private final S3Client s3;

	private final String bucket;

	private final String root;

	private final S3ReplicaOptions options;

	private final S3Retry retry;

	private final S3Uploader uploader;

	private final S3WriteFence fence = new S3WriteFence();

	private final boolean ownsClient;

	/** The server-side encryption headers of every request. */
	private final S3Encryption encryption;

	/** {@code <root>/lease.json}, written by compare-and-swap. */
	private final S3LeaseObject lease;

	private final S3Listing listing;

	/**
	 * A replica under {@code root} in {@code bucket}.
	 * @param s3 the client to use, configured by the caller (region, endpoint, credentials, SDK
	 * retries); not closed by this replica
	 * @param bucket the bucket name
	 * @param root the replica path: the URL path without its leading slash ({@code s3://b/a/b} gives
	 * {@code a/b}), or Litestream's {@code path:} field verbatim; may be empty
	 * @param options encryption, storage class, part size and retry policy
	 */
	public S3ReplicaClient(S3Client s3, String bucket, String root, S3ReplicaOptions options) {
		this(s3, bucket, root, options, false);
	}

	private S3ReplicaClient(S3Client s3, String bucket, String root, S3ReplicaOptions options, boolean ownsClient) {
		this.s3 = Objects.requireNonNull(s3, "s3");
		if (bucket == null || bucket.isBlank()) {
			throw new IllegalArgumentException("S3 replica needs a bucket");
		}
		this.bucket = bucket;
		this.root = (root == null) ? "" : root;
		this.options = Objects.requireNonNull(options, "options");
		this.retry = new S3Retry(options.retry(), bucket);
		this.encryption = new S3Encryption(options.encryption());
		this.uploader = new S3Uploader(s3, bucket, options, this.encryption, this.retry, this.fence);
		this.lease = new S3LeaseObject(s3, bucket, this.root, this.retry, this.encryption);
		this.listing = new S3Listing(s3, bucket, this.root, this.retry, options.maxKeys());
		this.ownsClient = ownsClient;
	}

	/** Like the constructor, but {@link #close()} also closes {@code s3}. */
	public static S3ReplicaClient owning(S3Client s3, String bucket, String root, S3ReplicaOptions options) {
		return new S3ReplicaClient(s3, bucket, root, options, true);
	}

	@Override
	public String type() {
		return "s3";
	}

	@Override
	public String describe() {
		return "s3://" + this.bucket + (this.root.startsWith("/") ? "" : "/") + this.root;
	}

	public String bucket() {
		return this.bucket;
	}

	public String root() {
		return this.root;
	}

	public S3ReplicaOptions options() {
		return this.options;
	}

	@Override
	public void setWriteGuard(WriteGuard guard) {
		this.fence.set(guard);
	}

	@Override
	public List<String> generations() throws IOException {
		return this.listing.generations();
	}

	@Override
	public List<SnapshotInfo> snapshots(String generation) throws IOException {
		requireGeneration(generation);
		return this.listing.snapshots(generation);
	}

	@Override
	public Optional<SnapshotInfo> snapshot(String generation, long index) throws IOException {
		requireGeneration(generation);
		String key = ReplicaPaths.snapshotPath(this.root, generation, index);
		HeadObjectRequest head = this.encryption.withCustomerKey(HeadObjectRequest.builder().bucket(this.bucket).key(key))
			.build();
		try {
			HeadObjectResponse o = this.retry.call("HeadObject", key, () -> this.s3.headObject(head));
			return Optional.of(new SnapshotInfo(generation, index, (o.contentLength() != null) ? o.contentLength() : 0,
					o.lastModified()));
		}
		catch (java.io.FileNotFoundException ex) {
			return Optional.empty();
		}
	}

	@Override
	public List<WalSegmentInfo> walSegments(String generation) throws IOException {
		return walSegments(generation, 0);
	}

	@Override
	public List<WalSegmentInfo> walSegments(String generation, long fromIndex) throws IOException {
		requireGeneration(generation);
		return this.listing.walSegments(generation, fromIndex);
	}

	@Override
	public List<WalSegmentInfo> walSegmentsInIndex(String generation, long index) throws IOException {
		requireGeneration(generation);
		return this.listing.walSegmentsInIndex(generation, index);
	}

	@Override
	public List<CompactedWalInfo> compactedWals(String generation) throws IOException {
		requireGeneration(generation);
		return this.listing.compactedWals(generation);
	}

	@Override
	public CompactedWalInfo writeCompactedWal(Pos start, long end, boolean sealed, InputStream data)
			throws IOException {
		requireGeneration(start.generation());
		Instant startedAt = Instant.now();
		CompactedWalInfo wal = new CompactedWalInfo(start.generation(), start.index(), start.offset(), end, sealed, 0,
				startedAt);
		long size = this.uploader.upload(ReplicaPaths.compactedWalPath(this.root, wal), data);
		return new CompactedWalInfo(wal.generation(), wal.index(), wal.start(), end, sealed, size, startedAt);
	}

	@Override
	public InputStream openCompactedWal(CompactedWalInfo wal) throws IOException {
		requireGeneration(wal.generation());
		return get(ReplicaPaths.compactedWalPath(this.root, wal));
	}

	@Override
	public void deleteCompactedWals(List<CompactedWalInfo> wals) throws IOException {
		List<String> keys = new ArrayList<>(wals.size());
		for (CompactedWalInfo w : wals) {
			requireGeneration(w.generation());
			keys.add(ReplicaPaths.compactedWalPath(this.root, w));
		}
		delete(keys);
	}

	@Override
	public SnapshotInfo writeSnapshot(String generation, long index, InputStream data) throws IOException {
		requireGeneration(generation);
		// Like Litestream: the upload's start time; listings later report S3's LastModified.
		Instant startedAt = Instant.now();
		long size = this.uploader.upload(ReplicaPaths.snapshotPath(this.root, generation, index), data);
		return new SnapshotInfo(generation, index, size, startedAt);
	}

	@Override
	public WalSegmentInfo writeWalSegment(Pos pos, InputStream data) throws IOException {
		requireGeneration(pos.generation());
		Instant startedAt = Instant.now();
		String key = ReplicaPaths.walSegmentPath(this.root, pos.generation(), pos.index(), pos.offset());
		long size = this.uploader.upload(key, data);
		return new WalSegmentInfo(pos.generation(), pos.index(), pos.offset(), size, startedAt);
	}

	@Override
	public InputStream openSnapshot(String generation, long index) throws IOException {
		requireGeneration(generation);
		String key = ReplicaPaths.snapshotPath(this.root, generation, index);
		if (this.options.downloadParallelism() <= 1) {
			return get(key);
		}
		if (this.options.rangesBelowBytesPerSecond() == S3ReplicaOptions.RANGES_ALWAYS) {
			// The HEAD pins the version (ETag) every range GET must match, and tells whether ranges pay off.
			HeadObjectRequest head = this.encryption.withCustomerKey(HeadObjectRequest.builder().bucket(this.bucket).key(key)).build();
			HeadObjectResponse object = this.retry.call("HeadObject", key, () -> this.s3.headObject(head));
			long size = (object.contentLength() != null) ? object.contentLength() : 0;
			if (!this.options.downloadsInRanges(size) || object.eTag() == null) {
				return get(key);
			}
			return ranged(key, size, object.eTag(), 0);
		}
		// One GET first; its answer pins the version and tells the size, and its speed decides on ranges.
		GetObjectRequest request = getRequest(key);
		ResponseInputStream<GetObjectResponse> body = this.retry.call("GetObject", key, () -> this.s3.getObject(request));
		GetObjectResponse object = body.response();
		long size = (object.contentLength() != null) ? object.contentLength() : 0;
		if (!this.options.downloadsInRanges(size) || object.eTag() == null) {
			return body;
		}
		return new AdaptiveObjectInputStream(body, "s3://" + this.bucket + "/" + key,
				this.options.downloadPartSize(), this.options.rangesBelowBytesPerSecond(),
				(offset) -> ranged(key, size, object.eTag(), offset));
	}

	private InputStream ranged(String key, long size, String eTag, long offset) {
		return new RangedObjectInputStream(this.s3, this.retry, getRequest(key), size, eTag, offset,
				this.options.downloadPartSize(), this.options.downloadParallelism());
	}

	@Override
	public InputStream openWalSegment(Pos pos) throws IOException {
		requireGeneration(pos.generation());
		return get(ReplicaPaths.walSegmentPath(this.root, pos.generation(), pos.index(), pos.offset()));
	}

	@Override
	public void deleteSnapshots(List<SnapshotInfo> snapshots) throws IOException {
		List<String> keys = new ArrayList<>(snapshots.size());
		for (SnapshotInfo s : snapshots) {
			requireGeneration(s.generation());
			keys.add(ReplicaPaths.snapshotPath(this.root, s.generation(), s.index()));
		}
		delete(keys);
	}

	@Override
	public void deleteWalSegments(List<WalSegmentInfo> segments) throws IOException {
		List<String> keys = new ArrayList<>(segments.size());
		for (WalSegmentInfo s : segments) {
			requireGeneration(s.generation());
			keys.add(ReplicaPaths.walSegmentPath(this.root, s.generation(), s.index(), s.offset()));
		}
		delete(keys);
	}

	@Override
	public void deleteGeneration(String generation) throws IOException {
		requireGeneration(generation);
		delete(this.listing.keys(ReplicaPaths.generationPath(this.root, generation) + "/"));
	}

	@Override
	public Optional<LeaseObject> readLease() throws IOException {
		return this.lease.read();
	}

	@Override
	public String createLease(byte[] content) throws IOException {
		return this.lease.create(content);
	}

	@Override
	public String replaceLease(String etag, byte[] content) throws IOException {
		return this.lease.replace(etag, content);
	}

	/**
	 * Writes a probe object beside the lease ({@code lease.json.probe}), then writes it again with
	 * {@code If-None-Match: *}, which must be refused (412); deletes the probe either way. Some
	 * S3-compatible stores ignore the header and overwrite.
	 */
	@Override
	public boolean honoursConditionalWrites() throws IOException {
		return this.lease.honoursConditionalWrites();
	}

	@Override
	public void close() {
		if (this.ownsClient) {
			this.s3.close();
		}
	}

	@Override
	public String toString() {
		return "S3ReplicaClient[" + describe() + ", " + this.options.encryption() + "]";
	}

	private GetObjectRequest getRequest(String key) {
		return this.encryption.withCustomerKey(GetObjectRequest.builder().bucket(this.bucket).key(key)).build();
	}

	private InputStream get(String key) throws IOException {
		GetObjectRequest get = getRequest(key);
		return this.retry.call("GetObject", key, () -> this.s3.getObject(get));
	}

	private void delete(List<String> keys) throws IOException {
		for (int from = 0; from < keys.size(); from += DELETE_BATCH) {
			List<ObjectIdentifier> batch = keys.subList(from, Math.min(keys.size(), from + DELETE_BATCH)).stream()
					.map((k) -> ObjectIdentifier.builder().key(k).build()).toList();
			DeleteObjectsRequest request = DeleteObjectsRequest.builder().bucket(this.bucket)
					.delete(Delete.builder().objects(batch).quiet(true).build()).build();
			String first = batch.get(0).key();
			DeleteObjectsResponse response = this.retry.call("DeleteObjects", first, () -> {
				AwsRequestOverrideConfiguration bound = this.fence.check("DeleteObjects", "s3://" + this.bucket + "/"
						+ first);
				return this.s3.deleteObjects(
						(bound != null) ? request.toBuilder().overrideConfiguration(bound).build() : request);
			});
			checkDeleteErrors(response);
		}
	}

	private void checkDeleteErrors(DeleteObjectsResponse response) throws S3ReplicaException {
		List<S3Error> errors = response.hasErrors() ? response.errors() : List.of();
		// Deleting a missing key is a success in S3; tolerate stores that report it anyway.
		List<S3Error> real = errors.stream().filter((e) -> !"NoSuchKey".equals(e.code())).toList();
		if (!real.isEmpty()) {
			S3Error e = real.get(0);
			throw new S3ReplicaException("S3 DeleteObjects failed for " + real.size() + " key(s), first s3://"
					+ this.bucket + "/" + e.key() + ": " + e.code() + ": " + e.message(), this.bucket, e.key(), false,
					null);
		}
	}

	private static void requireGeneration(String generation) {
		if (!ReplicaPaths.isGenerationName(generation)) {
			throw new IllegalArgumentException("invalid generation name: " + generation);
		}
	}

}
