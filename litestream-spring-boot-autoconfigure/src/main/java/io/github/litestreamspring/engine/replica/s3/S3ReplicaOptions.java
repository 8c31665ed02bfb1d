package io.github.litestreamspring.engine.replica.s3;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;

/**
 * Tuning and encryption options of an {@link S3ReplicaClient}. None of these exist in Litestream
 * v0.3.13 (they arrived in v0.5); the defaults reproduce its behaviour: no SSE header, the bucket's
 * default storage class, streaming multipart above a few MiB.
 *
 * @param encryption server-side encryption to request on writes (and reads, for SSE-C)
 * @param storageClass S3 storage class for new objects (e.g. {@code STANDARD_IA}), or {@code null}
 * @param partSize multipart part size in bytes (at least 5 MiB, S3's minimum); also the size of the
 * one buffer an upload holds in memory
 * @param multipartThreshold bodies of at least this many bytes are uploaded in parts; at most
 * {@code partSize}
 * @param maxKeys page size of listings, or 0 for the server's default (1000 on S3)
 * @param retry retry policy for each S3 call
 * @param downloadPartSize byte range fetched by one GET when a snapshot is downloaded in parallel
 * ({@link RangedObjectInputStream}); also the size of each buffer such a download holds
 * @param downloadParallelism ranged GETs in flight for one snapshot, which bounds its memory to
 * {@code downloadParallelism × downloadPartSize}; 0 or 1 means one plain GET, as Litestream does. Snapshots
 * smaller than two parts always use one GET
 * @param rangesBelowBytesPerSecond when ranges are used: a snapshot download starts as one plain GET and
 * continues in ranges only if that GET delivered its first part slower than this (the network, not the
 * restore, is then the bottleneck; on a fast link ranges cost CPU and gain nothing);
 * {@link #RANGES_ALWAYS} fetches the whole object in ranges from its first byte
 */
public record S3ReplicaOptions(Encryption encryption, String storageClass, int partSize, int multipartThreshold,
		int maxKeys, RetryPolicy retry, int downloadPartSize, int downloadParallelism,
		long rangesBelowBytesPerSecond) {

	/** S3's minimum size of any part but the last. */
	public static final int MIN_PART_SIZE = 5 * 1024 * 1024;

	/** Default part size and threshold: 8 MiB. */
	public static final int DEFAULT_PART_SIZE = 8 * 1024 * 1024;

	/** Default snapshot download range: 8 MiB, AWS's advice for byte-range GETs. */
	public static final int DEFAULT_DOWNLOAD_PART_SIZE = 8 * 1024 * 1024;

	/** Smallest download range: below this the per-request overhead outweighs any parallelism. */
	public static final int MIN_DOWNLOAD_PART_SIZE = 64 * 1024;

	/** Default ranged GETs in flight per snapshot: 4, i.e. at most 32 MiB of buffers. */
	public static final int DEFAULT_DOWNLOAD_PARALLELISM = 4;

	/** Upper bound of {@link #downloadParallelism()}: one snapshot should not monopolize the connection pool. */
	public static final int MAX_DOWNLOAD_PARALLELISM = 32;

	/**
	 * Default {@link #rangesBelowBytesPerSecond()}: 200 MB/s. One GET stream from S3 delivers roughly
	 * 50-100 MB/s, where four ranges in parallel multiply the speed; a loopback or LAN server delivers
	 * several hundred MB/s to one stream, where ranges only add work on both ends.
	 */
	public static final long DEFAULT_RANGES_BELOW_BYTES_PER_SECOND = 200_000_000L;

	/** {@link #rangesBelowBytesPerSecond()} meaning: ranges from the first byte, no single-GET probe. */
	public static final long RANGES_ALWAYS = Long.MAX_VALUE;

	public S3ReplicaOptions {
		Objects.requireNonNull(encryption, "encryption");
		Objects.requireNonNull(retry, "retry");
		if (partSize < MIN_PART_SIZE) {
			throw new IllegalArgumentException("partSize must be at least " + MIN_PART_SIZE + " bytes: " + partSize);
		}
		if (multipartThreshold < 1 || multipartThreshold > partSize) {
			throw new IllegalArgumentException("multipartThreshold must be between 1 and partSize: " + multipartThreshold);
		}
		if (maxKeys < 0 || maxKeys > 1000) {
			throw new IllegalArgumentException("maxKeys must be between 0 and 1000: " + maxKeys);
		}
		if (downloadPartSize < MIN_DOWNLOAD_PART_SIZE) {
			throw new IllegalArgumentException(
					"downloadPartSize must be at least " + MIN_DOWNLOAD_PART_SIZE + " bytes: " + downloadPartSize);
		}
		if (downloadParallelism < 0 || downloadParallelism > MAX_DOWNLOAD_PARALLELISM) {
			throw new IllegalArgumentException(
					"downloadParallelism must be between 0 and " + MAX_DOWNLOAD_PARALLELISM + ": " + downloadParallelism);
		}
		if (rangesBelowBytesPerSecond < 0) {
			throw new IllegalArgumentException("rangesBelowBytesPerSecond must not be negative: " + rangesBelowBytesPerSecond);
		}
		if (storageClass != null && storageClass.isBlank()) {
			storageClass = null;
		}
	}

	/**
	 * No encryption header, default storage class, 8 MiB parts, {@link RetryPolicy#defaults()}; a large
	 * snapshot continues as 8 MiB ranges, 4 at a time, when one GET delivers less than 200 MB/s.
	 */
	public static S3ReplicaOptions defaults() {
		return new S3ReplicaOptions(Encryption.NONE, null, DEFAULT_PART_SIZE, DEFAULT_PART_SIZE, 0,
				RetryPolicy.defaults(), DEFAULT_DOWNLOAD_PART_SIZE, DEFAULT_DOWNLOAD_PARALLELISM,
				DEFAULT_RANGES_BELOW_BYTES_PER_SECOND);
	}

	public S3ReplicaOptions withEncryption(Encryption encryption) {
		return new S3ReplicaOptions(encryption, this.storageClass, this.partSize, this.multipartThreshold,
				this.maxKeys, this.retry, this.downloadPartSize, this.downloadParallelism,
				this.rangesBelowBytesPerSecond);
	}

	public S3ReplicaOptions withStorageClass(String storageClass) {
		return new S3ReplicaOptions(this.encryption, storageClass, this.partSize, this.multipartThreshold,
				this.maxKeys, this.retry, this.downloadPartSize, this.downloadParallelism,
				this.rangesBelowBytesPerSecond);
	}

	/** Sets both the part size and the threshold. */
	public S3ReplicaOptions withPartSize(int partSize) {
		return new S3ReplicaOptions(this.encryption, this.storageClass, partSize, partSize, this.maxKeys,
				this.retry, this.downloadPartSize, this.downloadParallelism,
				this.rangesBelowBytesPerSecond);
	}

	public S3ReplicaOptions withMaxKeys(int maxKeys) {
		return new S3ReplicaOptions(this.encryption, this.storageClass, this.partSize, this.multipartThreshold,
				maxKeys, this.retry, this.downloadPartSize, this.downloadParallelism,
				this.rangesBelowBytesPerSecond);
	}

	public S3ReplicaOptions withRetry(RetryPolicy retry) {
		return new S3ReplicaOptions(this.encryption, this.storageClass, this.partSize, this.multipartThreshold,
				this.maxKeys, retry, this.downloadPartSize, this.downloadParallelism,
				this.rangesBelowBytesPerSecond);
	}

	/** Sets how large snapshots are downloaded: ranges of {@code partSize}, {@code parallelism} at a time. */
	public S3ReplicaOptions withDownload(int partSize, int parallelism) {
		return new S3ReplicaOptions(this.encryption, this.storageClass, this.partSize, this.multipartThreshold,
				this.maxKeys, this.retry, partSize, parallelism, this.rangesBelowBytesPerSecond);
	}

	/**
	 * Sets when a snapshot download switches from one GET to ranges: when the GET delivers its first
	 * part slower than {@code bytesPerSecond}; {@link #RANGES_ALWAYS} for ranges from the first byte.
	 */
	public S3ReplicaOptions withRangesBelow(long bytesPerSecond) {
		return new S3ReplicaOptions(this.encryption, this.storageClass, this.partSize, this.multipartThreshold,
				this.maxKeys, this.retry, this.downloadPartSize, this.downloadParallelism, bytesPerSecond);
	}

	/** Whether an object of {@code size} bytes is downloaded as parallel byte ranges. */
	boolean downloadsInRanges(long size) {
		return this.downloadParallelism > 1 && size >= 2L * this.downloadPartSize;
	}

	/** Server-side encryption modes. */
	public enum SseMode {

		/** No header: the bucket's default encryption applies. */
		NONE,
		/** SSE-S3: {@code x-amz-server-side-encryption: AES256}. */
		SSE_S3,
		/** SSE-KMS: {@code aws:kms}, with an optional key id. */
		SSE_KMS,
		/** SSE-C: a customer-provided AES-256 key sent with every write and read. */
		SSE_C

	}

	/**
	 * Server-side encryption settings. {@link #toString()} never shows the SSE-C key.
	 *
	 * @param mode the mode
	 * @param kmsKeyId KMS key id or ARN for {@link SseMode#SSE_KMS}, or {@code null} for the AWS managed
	 * key
	 * @param customerKey base64 of the 32-byte key for {@link SseMode#SSE_C}
	 */
	public record Encryption(SseMode mode, String kmsKeyId, String customerKey) {

		public static final Encryption NONE = new Encryption(SseMode.NONE, null, null);

		public Encryption {
			Objects.requireNonNull(mode, "mode");
			if (mode == SseMode.SSE_C) {
				byte[] key;
				try {
					key = Base64.getDecoder().decode(Objects.requireNonNull(customerKey, "SSE-C needs a customer key"));
				}
				catch (IllegalArgumentException ex) {
					throw new IllegalArgumentException("SSE-C customer key is not valid base64");
				}
				if (key.length != 32) {
					throw new IllegalArgumentException("SSE-C customer key must be 32 bytes (AES-256), got " + key.length);
				}
			}
		}

		public static Encryption sseS3() {
			return new Encryption(SseMode.SSE_S3, null, null);
		}

		public static Encryption sseKms(String kmsKeyId) {
			return new Encryption(SseMode.SSE_KMS, kmsKeyId, null);
		}

		public static Encryption sseC(String base64Key) {
			return new Encryption(SseMode.SSE_C, null, base64Key);
		}

		/** Base64 of the MD5 of the decoded SSE-C key, as the {@code ...-customer-key-MD5} header wants. */
		public String customerKeyMd5() {
			if (this.customerKey == null) {
				return null;
			}
			try {
				byte[] md5 = MessageDigest.getInstance("MD5").digest(Base64.getDecoder().decode(this.customerKey));
				return Base64.getEncoder().encodeToString(md5);
			}
			catch (NoSuchAlgorithmException ex) {
				throw new IllegalStateException("MD5 is a mandatory JDK algorithm", ex);
			}
		}

		@Override
		public String toString() {
			return switch (this.mode) {
				case NONE -> "none";
				case SSE_S3 -> "SSE-S3";
				case SSE_KMS -> "SSE-KMS" + ((this.kmsKeyId != null) ? "(" + this.kmsKeyId + ")" : "");
				case SSE_C -> "SSE-C(key ****)";
			};
		}

	}

	/**
	 * Exponential backoff with full jitter for one S3 call.
	 *
	 * @param maxAttempts attempts in total, at least 1
	 * @param baseDelay delay cap of the first retry
	 * @param maxDelay upper bound of any single delay
	 * @param maxTotalTime no retry starts if it would end after this much time since the first attempt
	 */
	public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay, Duration maxTotalTime) {

		public RetryPolicy {
			if (maxAttempts < 1) {
				throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
			}
			Objects.requireNonNull(baseDelay, "baseDelay");
			Objects.requireNonNull(maxDelay, "maxDelay");
			Objects.requireNonNull(maxTotalTime, "maxTotalTime");
		}

		/**
		 * 6 attempts, 100 ms base, 2 s cap, 10 s in total. Short on purpose: the replicator retries on its
		 * next pass anyway and never skips data, while a call that retries for minutes holds up the
		 * replication thread and hides an outage from health checks.
		 */
		public static RetryPolicy defaults() {
			return new RetryPolicy(6, Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofSeconds(10));
		}

		/** One attempt, no retry. */
		public static RetryPolicy none() {
			return new RetryPolicy(1, Duration.ZERO, Duration.ZERO, Duration.ZERO);
		}

	}

}
