package io.github.litestreamspring.engine.replica.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * Streams one object to S3 with memory bounded by a single part buffer, whatever the object's size:
 * a body that ends before the threshold goes in one PutObject, anything else in a multipart upload
 * whose parts are read, one at a time, into the same buffer. A failed multipart upload is aborted so
 * that no orphaned parts keep costing storage. Every request is fenced ({@link S3WriteFence}): a lease
 * that may no longer be relied on stops the upload before its next request (or cuts the one in flight
 * at the lease's write deadline), and the multipart upload is then aborted.
 */
final class S3Uploader {

	private static final String CONTENT_TYPE = "application/octet-stream";

	private static final int INITIAL_BUFFER = 64 * 1024;

	private final S3Client s3;

	private final String bucket;

	private final S3ReplicaOptions options;

	private final S3Encryption encryption;

	private final S3Retry retry;

	private final S3WriteFence fence;

	S3Uploader(S3Client s3, String bucket, S3ReplicaOptions options, S3Encryption encryption, S3Retry retry,
			S3WriteFence fence) {
		this.s3 = s3;
		this.bucket = bucket;
		this.options = options;
		this.encryption = encryption;
		this.retry = retry;
		this.fence = fence;
	}

	/** Uploads {@code data} until its end and returns the object's size. */
	long upload(String key, InputStream data) throws IOException {
		// Most WAL segments are a few KiB: start small and grow towards one part, so that a busy
		// replica does not allocate a whole part for every tiny object.
		int partSize = this.options.partSize();
		byte[] buffer = new byte[Math.min(INITIAL_BUFFER, partSize)];
		int n = 0;
		while (true) {
			if (n == buffer.length) {
				if (buffer.length == partSize) {
					break;
				}
				buffer = Arrays.copyOf(buffer, (int) Math.min(partSize, 2L * buffer.length));
			}
			int r = data.read(buffer, n, buffer.length - n);
			if (r < 0) {
				break;
			}
			n += r;
		}
		if (n < partSize && n < this.options.multipartThreshold()) {
			putObject(key, buffer, n);
			return n;
		}
		return multipart(key, data, buffer, n);
	}

	private void putObject(String key, byte[] buffer, int n) throws IOException {
		PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(this.bucket).key(key)
				.contentType(CONTENT_TYPE).contentLength((long) n);
		this.encryption.onCreate(request);
		if (this.options.storageClass() != null) {
			request.storageClass(StorageClass.fromValue(this.options.storageClass()));
		}
		PutObjectRequest put = request.build();
		this.retry.call("PutObject", key, () -> {
			AwsRequestOverrideConfiguration bound = this.fence.check("PutObject", location(key));
			return this.s3.putObject((bound != null) ? put.toBuilder().overrideConfiguration(bound).build() : put,
					body(buffer, n));
		});
	}

	private long multipart(String key, InputStream data, byte[] buffer, int firstPart) throws IOException {
		CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder().bucket(this.bucket)
				.key(key).contentType(CONTENT_TYPE);
		this.encryption.onCreate(create);
		if (this.options.storageClass() != null) {
			create.storageClass(StorageClass.fromValue(this.options.storageClass()));
		}
		CreateMultipartUploadRequest createRequest = create.build();
		String uploadId = this.retry.call("CreateMultipartUpload", key, () -> {
			AwsRequestOverrideConfiguration bound = this.fence.check("CreateMultipartUpload", location(key));
			return this.s3.createMultipartUpload(
					(bound != null) ? createRequest.toBuilder().overrideConfiguration(bound).build() : createRequest);
		}).uploadId();
		try {
			List<CompletedPart> parts = new ArrayList<>();
			long total = 0;
			int n = firstPart;
			for (int partNumber = 1; n > 0 || partNumber == 1; partNumber++) {
				parts.add(uploadPart(key, uploadId, partNumber, buffer, n));
				total += n;
				if (n < buffer.length) {
					break; // the stream ended inside this part
				}
				n = readFully(data, buffer);
			}
			CompleteMultipartUploadRequest complete = CompleteMultipartUploadRequest.builder().bucket(this.bucket)
					.key(key).uploadId(uploadId).multipartUpload(CompletedMultipartUpload.builder().parts(parts).build())
					.build();
			this.retry.call("CompleteMultipartUpload", key, () -> {
				AwsRequestOverrideConfiguration bound = this.fence.check("CompleteMultipartUpload", location(key));
				return this.s3.completeMultipartUpload(
						(bound != null) ? complete.toBuilder().overrideConfiguration(bound).build() : complete);
			});
			return total;
		}
		catch (IOException | RuntimeException | Error ex) {
			abort(key, uploadId, ex);
			throw ex;
		}
	}

	private CompletedPart uploadPart(String key, String uploadId, int partNumber, byte[] buffer, int n)
			throws IOException {
		UploadPartRequest.Builder request = UploadPartRequest.builder().bucket(this.bucket).key(key)
				.uploadId(uploadId).partNumber(partNumber).contentLength((long) n);
		this.encryption.withCustomerKey(request);
		UploadPartRequest part = request.build();
		String etag = this.retry.call("UploadPart", key, () -> {
			AwsRequestOverrideConfiguration bound = this.fence.check("UploadPart " + partNumber, location(key));
			return this.s3.uploadPart((bound != null) ? part.toBuilder().overrideConfiguration(bound).build() : part,
					body(buffer, n));
		}).eTag();
		return CompletedPart.builder().partNumber(partNumber).eTag(etag).build();
	}

	private String location(String key) {
		return "s3://" + this.bucket + "/" + key;
	}

	/** Never fenced: aborting removes our own parts and can only make the replica cleaner. */
	private void abort(String key, String uploadId, Throwable failure) {
		try {
			this.s3.abortMultipartUpload(
					AbortMultipartUploadRequest.builder().bucket(this.bucket).key(key).uploadId(uploadId).build());
		}
		catch (RuntimeException ex) {
			// Keep the original failure; a bucket lifecycle rule reaps what this could not.
			failure.addSuppressed(ex);
		}
	}

	/**
	 * A body over the shared buffer without copying it; each SDK retry gets a fresh stream over the
	 * same bytes.
	 */
	private static RequestBody body(byte[] buffer, int n) {
		return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buffer, 0, n), n, CONTENT_TYPE);
	}

	/** Reads until {@code buffer} is full or the stream ends; returns the bytes read. */
	private static int readFully(InputStream in, byte[] buffer) throws IOException {
		int total = 0;
		while (total < buffer.length) {
			int r = in.read(buffer, total, buffer.length - total);
			if (r < 0) {
				break;
			}
			total += r;
		}
		return total;
	}

}
