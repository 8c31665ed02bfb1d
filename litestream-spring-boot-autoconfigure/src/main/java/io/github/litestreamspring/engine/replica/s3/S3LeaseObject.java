package io.github.litestreamspring.engine.replica.s3;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

import io.github.litestreamspring.engine.LeaseObject;
import io.github.litestreamspring.engine.ReplicaPaths;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

import static io.github.litestreamspring.engine.ReplicaClient.LEASE_NAME;

/**
 * The lease object {@code <root>/lease.json} of an S3 replica, written with S3 conditional writes
 * ({@code If-None-Match: *} to create, {@code If-Match: <etag>} to replace); a 412 or 409 answer means
 * another writer got there first. Never fenced by the write guard: the lease calls are what it rests on.
 */
final class S3LeaseObject {

	private final S3Client s3;

	private final String bucket;

	private final String root;

	private final S3Retry retry;

	private final S3Encryption encryption;

	S3LeaseObject(S3Client s3, String bucket, String root, S3Retry retry, S3Encryption encryption) {
		this.s3 = s3;
		this.bucket = bucket;
		this.root = root;
		this.retry = retry;
		this.encryption = encryption;
	}

	Optional<LeaseObject> read() throws IOException {
		String key = leaseKey();
		GetObjectRequest get = this.encryption.withCustomerKey(GetObjectRequest.builder().bucket(this.bucket).key(key)).build();
		try {
			ResponseBytes<GetObjectResponse> bytes = this.retry.call("GetObject", key,
					() -> this.s3.getObjectAsBytes(get));
			return Optional.of(new LeaseObject(bytes.asByteArray(), bytes.response().eTag()));
		}
		catch (FileNotFoundException ex) {
			return Optional.empty();
		}
	}

	String create(byte[] content) throws IOException {
		return putLease(content, leaseRequest(leaseKey()).ifNoneMatch("*"));
	}

	String replace(String etag, byte[] content) throws IOException {
		return putLease(content, leaseRequest(leaseKey()).ifMatch(Objects.requireNonNull(etag, "etag")));
	}

	/**
	 * Writes a probe object beside the lease ({@code lease.json.probe}), then writes it again with
	 * {@code If-None-Match: *}, which must be refused (412); deletes the probe either way. Some
	 * S3-compatible stores ignore the header and overwrite.
	 */
	boolean honoursConditionalWrites() throws IOException {
		String key = ReplicaPaths.join(this.root, LEASE_NAME + ".probe");
		byte[] content = ("{\"probe\":\"conditional writes\",\"at\":\"" + Instant.now() + "\"}\n")
			.getBytes(StandardCharsets.UTF_8);
		try {
			if (putLease(content, leaseRequest(key)) == null) {
				throw new S3ReplicaException("S3 PutObject of s3://" + this.bucket + "/" + key
						+ " was refused without a condition", this.bucket, key, false, null);
			}
			return putLease(content, leaseRequest(key).ifNoneMatch("*")) == null;
		}
		finally {
			try {
				// Not fenced, like the lease calls: the probe runs before the lease is held.
				DeleteObjectRequest delete = DeleteObjectRequest.builder().bucket(this.bucket).key(key).build();
				this.retry.call("DeleteObject", key, () -> this.s3.deleteObject(delete));
			}
			catch (IOException | RuntimeException ex) {
				// Harmless: a few bytes beside the lease, overwritten by the next probe.
			}
		}
	}

	private String leaseKey() {
		return ReplicaPaths.join(this.root, LEASE_NAME);
	}

	private PutObjectRequest.Builder leaseRequest(String key) {
		// Same encryption as every other object: a bucket policy may require the header on every PUT.
		return this.encryption.onCreate(PutObjectRequest.builder().bucket(this.bucket).key(key)
			.contentType("application/json"));
	}

	/** One conditional PUT; {@code null} when the condition failed (another writer changed the lease). */
	private String putLease(byte[] content, PutObjectRequest.Builder request) throws IOException {
		PutObjectRequest put = request.contentLength((long) content.length).build();
		return this.retry.call("PutObject", put.key(), () -> {
			try {
				return this.s3.putObject(put, RequestBody.fromBytes(content)).eTag();
			}
			catch (S3Exception ex) {
				// 412 Precondition Failed: the condition did not hold. 409 ConditionalRequestConflict: a
				// concurrent conditional write to the same key won. 404 NoSuchKey: If-Match on a lease that is
				// gone. Either way we did not write.
				if (ex.statusCode() == 412 || ex.statusCode() == 409 || ex.statusCode() == 404) {
					return null;
				}
				throw ex;
			}
		});
	}

}
