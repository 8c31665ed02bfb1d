package io.github.litestreamspring.engine.replica.s3;

import java.util.Base64;

import org.junit.jupiter.api.Test;

import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

import static org.assertj.core.api.Assertions.assertThat;

/** Which request gets which server-side encryption header ({@link S3Encryption}, used by every S3 request). */
class S3EncryptionTests {

	private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

	@Test
	void noEncryptionAddsNoHeader() {
		S3Encryption none = new S3Encryption(S3ReplicaOptions.Encryption.NONE);
		PutObjectRequest put = none.onCreate(PutObjectRequest.builder()).build();
		assertThat(put.serverSideEncryption()).isNull();
		assertThat(put.sseCustomerKey()).isNull();
		assertThat(none.withCustomerKey(GetObjectRequest.builder()).build().sseCustomerKey()).isNull();
	}

	@Test
	void sseS3IsRequestedWhereObjectsAreCreatedOnly() {
		S3Encryption sse = new S3Encryption(S3ReplicaOptions.Encryption.sseS3());
		assertThat(sse.onCreate(PutObjectRequest.builder()).build().serverSideEncryption())
			.isEqualTo(ServerSideEncryption.AES256);
		assertThat(sse.onCreate(CreateMultipartUploadRequest.builder()).build().serverSideEncryption())
			.isEqualTo(ServerSideEncryption.AES256);
		assertThat(sse.withCustomerKey(UploadPartRequest.builder()).build().sseCustomerAlgorithm()).isNull();
		assertThat(sse.withCustomerKey(GetObjectRequest.builder()).build().sseCustomerAlgorithm()).isNull();
	}

	@Test
	void sseKmsNamesItsKeyOnObjectCreation() {
		S3Encryption sse = new S3Encryption(S3ReplicaOptions.Encryption.sseKms("alias/litestream"));
		PutObjectRequest put = sse.onCreate(PutObjectRequest.builder()).build();
		assertThat(put.serverSideEncryption()).isEqualTo(ServerSideEncryption.AWS_KMS);
		assertThat(put.ssekmsKeyId()).isEqualTo("alias/litestream");
		CreateMultipartUploadRequest create = sse.onCreate(CreateMultipartUploadRequest.builder()).build();
		assertThat(create.serverSideEncryption()).isEqualTo(ServerSideEncryption.AWS_KMS);
		assertThat(create.ssekmsKeyId()).isEqualTo("alias/litestream");
	}

	@Test
	void sseCSendsTheCustomerKeyWithEveryWriteAndRead() {
		S3ReplicaOptions.Encryption settings = S3ReplicaOptions.Encryption.sseC(KEY);
		S3Encryption sse = new S3Encryption(settings);
		PutObjectRequest put = sse.onCreate(PutObjectRequest.builder()).build();
		assertThat(put.serverSideEncryption()).isNull();
		assertThat(put.sseCustomerAlgorithm()).isEqualTo("AES256");
		assertThat(put.sseCustomerKey()).isEqualTo(KEY);
		assertThat(put.sseCustomerKeyMD5()).isEqualTo(settings.customerKeyMd5());
		assertThat(sse.onCreate(CreateMultipartUploadRequest.builder()).build().sseCustomerKey()).isEqualTo(KEY);
		assertThat(sse.withCustomerKey(UploadPartRequest.builder()).build().sseCustomerKey()).isEqualTo(KEY);
		assertThat(sse.withCustomerKey(GetObjectRequest.builder()).build().sseCustomerKey()).isEqualTo(KEY);
		HeadObjectRequest head = sse.withCustomerKey(HeadObjectRequest.builder()).build();
		assertThat(head.sseCustomerAlgorithm()).isEqualTo("AES256");
		assertThat(head.sseCustomerKeyMD5()).isEqualTo(settings.customerKeyMd5());
	}

}
