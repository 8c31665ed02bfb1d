package io.github.litestreamspring.engine.replica.s3;

import java.util.function.Consumer;

import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * The server-side encryption headers of every request ({@link S3ReplicaOptions.Encryption}), in one
 * place: SSE-S3 and SSE-KMS on the requests that create an object (a bucket policy may require the
 * header on every PUT, the lease's included), SSE-C's customer key on every request that writes or
 * reads an object's content (each part of a multipart upload, GET, HEAD).
 */
final class S3Encryption {

	private static final String SSE_C_ALGORITHM = "AES256";

	private final S3ReplicaOptions.Encryption settings;

	S3Encryption(S3ReplicaOptions.Encryption settings) {
		this.settings = settings;
	}

	PutObjectRequest.Builder onCreate(PutObjectRequest.Builder request) {
		onCreate(request::serverSideEncryption, request::ssekmsKeyId,
				(algorithm, key, md5) -> request.sseCustomerAlgorithm(algorithm).sseCustomerKey(key).sseCustomerKeyMD5(md5));
		return request;
	}

	CreateMultipartUploadRequest.Builder onCreate(CreateMultipartUploadRequest.Builder request) {
		onCreate(request::serverSideEncryption, request::ssekmsKeyId,
				(algorithm, key, md5) -> request.sseCustomerAlgorithm(algorithm).sseCustomerKey(key).sseCustomerKeyMD5(md5));
		return request;
	}

	UploadPartRequest.Builder withCustomerKey(UploadPartRequest.Builder request) {
		withCustomerKey((algorithm, key, md5) -> request.sseCustomerAlgorithm(algorithm).sseCustomerKey(key)
			.sseCustomerKeyMD5(md5));
		return request;
	}

	GetObjectRequest.Builder withCustomerKey(GetObjectRequest.Builder request) {
		withCustomerKey((algorithm, key, md5) -> request.sseCustomerAlgorithm(algorithm).sseCustomerKey(key)
			.sseCustomerKeyMD5(md5));
		return request;
	}

	HeadObjectRequest.Builder withCustomerKey(HeadObjectRequest.Builder request) {
		withCustomerKey((algorithm, key, md5) -> request.sseCustomerAlgorithm(algorithm).sseCustomerKey(key)
			.sseCustomerKeyMD5(md5));
		return request;
	}

	private void onCreate(Consumer<ServerSideEncryption> algorithm, Consumer<String> kmsKeyId, CustomerKey customerKey) {
		switch (this.settings.mode()) {
			case SSE_S3 -> algorithm.accept(ServerSideEncryption.AES256);
			case SSE_KMS -> {
				algorithm.accept(ServerSideEncryption.AWS_KMS);
				kmsKeyId.accept(this.settings.kmsKeyId());
			}
			case SSE_C -> withCustomerKey(customerKey);
			case NONE -> {
			}
		}
	}

	private void withCustomerKey(CustomerKey headers) {
		if (this.settings.mode() == S3ReplicaOptions.SseMode.SSE_C) {
			headers.set(SSE_C_ALGORITHM, this.settings.customerKey(), this.settings.customerKeyMd5());
		}
	}

	/** Sets SSE-C's three headers on one request builder (the SDK's builders share no interface for them). */
	@FunctionalInterface
	private interface CustomerKey {

		void set(String algorithm, String key, String md5);

	}

}
