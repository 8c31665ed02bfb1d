package io.github.litestreamspring.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.github.litestreamspring.engine.lz4.Lz4Frames;
import io.github.litestreamspring.engine.ReplicaPaths;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Watches a replica in the bucket and notes when each WAL segment object first appears, by listing
 * directly at S3Proxy (not through the tool's {@link CountingProxy}, so these LISTs are never
 * charged to a tool) every {@code pollMillis}. Listing resumes after the last key seen: segment
 * names sort in upload order ({@code <index>_<offset>.wal.lz4}, fixed-width hex).
 * <p>
 * After the run, {@link #lags} downloads every segment once, learns which WAL index holds which
 * salt pair (from the header in each index's offset-0 segment) and how far each index is covered,
 * and answers for each commit the time from its return to the first listing that showed an object
 * covering it. The resolution is the poll period plus one LIST round trip.
 */
final class LagObserver implements AutoCloseable {

	private final S3Client s3;

	private final String bucket;

	private final String prefix;

	private final long pollMillis;

	private final Map<String, Long> firstSeenNanos = new LinkedHashMap<>();

	private final Thread thread;

	private volatile boolean stopped;

	private String lastKey;

	private String diagnostics = "";

	private long missedByPolling;

	private long indexesWithoutStart;

	private long polls;

	LagObserver(S3Client s3, String bucket, String root, long pollMillis) {
		this.s3 = s3;
		this.bucket = bucket;
		this.prefix = root + "/generations/";
		this.pollMillis = pollMillis;
		this.thread = new Thread(this::run, "lag-observer");
		this.thread.setDaemon(true);
		this.thread.start();
	}

	private void run() {
		while (!this.stopped) {
			try {
				poll();
			}
			catch (RuntimeException ex) {
				// a transient S3Proxy hiccup: the next poll sees the same objects
			}
			try {
				Thread.sleep(this.pollMillis);
			}
			catch (InterruptedException ex) {
				return;
			}
		}
	}

	private void poll() {
		String continuation = null;
		// Bounded: each page either ends the listing or hands a continuation token.
		for (int page = 0; page < 10_000; page++) {
			ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(this.bucket).prefix(this.prefix);
			if (continuation != null) {
				request.continuationToken(continuation);
			}
			else if (this.lastKey != null) {
				request.startAfter(relistFrom(this.lastKey));
			}
			ListObjectsV2Response response = this.s3.listObjectsV2(request.build());
			this.polls++;
			long seen = epochNanos();
			for (S3Object object : response.contents()) {
				// S3Proxy's filesystem backend lists an object being written as "<key>-<uuid>", which sorts
				// after "<key>": skip it and do not list after it, or the finished object would be missed.
				if (!object.key().endsWith(".lz4")) {
					continue;
				}
				if (object.key().contains("/wal/")) {
					synchronized (this.firstSeenNanos) {
						this.firstSeenNanos.putIfAbsent(object.key(), seen);
					}
				}
				this.lastKey = object.key();
			}
			if (!Boolean.TRUE.equals(response.isTruncated())) {
				return;
			}
			continuation = response.nextContinuationToken();
		}
	}

	/** Number of LIST requests the observer made (reported separately, never charged to a tool). */
	long polls() {
		return this.polls;
	}

	/**
	 * Lag of each commit in seconds, in commit order; a commit that no object ever covered gets
	 * {@code NaN} (reported as "not durable").
	 */
	double[] lags(List<CommitLog.Commit> commits) throws IOException {
		Map<String, Long> seen;
		synchronized (this.firstSeenNanos) {
			seen = new LinkedHashMap<>(this.firstSeenNanos);
		}
		// A last, complete listing: an object the polls never listed (S3Proxy's listing is not always
		// consistent with start-after while objects are renamed into place) still teaches which index a
		// salt belongs to, but is never counted as durable; an index that has no offset-0 object even
		// now would be a real gap in the replica.
		List<String> missed = new ArrayList<>();
		Map<Long, Long> firstOffsetByIndex = new TreeMap<>();
		for (String key : listAll()) {
			long[] p = ReplicaPaths.parseWalSegmentName(key.substring(key.lastIndexOf('/') + 1));
			if (p != null) {
				firstOffsetByIndex.merge(p[0], p[1], Math::min);
			}
			if (!seen.containsKey(key)) {
				missed.add(key);
				seen.put(key, Long.MAX_VALUE);
			}
		}
		this.missedByPolling = missed.size();
		this.indexesWithoutStart = firstOffsetByIndex.values().stream().filter((o) -> o != 0).count();
		Map<Long, Long> indexBySalt = new HashMap<>();
		// index -> (covered end offset -> first-seen time), in offset order
		Map<Long, TreeMap<Long, Long>> coverage = new HashMap<>();
		for (Map.Entry<String, Long> e : seen.entrySet()) {
			String key = e.getKey();
			long[] pos = ReplicaPaths.parseWalSegmentName(key.substring(key.lastIndexOf('/') + 1));
			if (pos == null) {
				continue;
			}
			byte[] data = download(key);
			if (pos[1] == 0 && data.length >= 24) {
				ByteBuffer header = ByteBuffer.wrap(data);
				indexBySalt.put(header.getLong(16), pos[0]);
			}
			coverage.computeIfAbsent(pos[0], (i) -> new TreeMap<>()).merge(pos[1] + data.length, e.getValue(), Math::min);
		}
		this.diagnostics = "objects seen: " + seen.size() + "\nmissed by polling (found by the final listing): " + missed
				+ "\nindexes in the bucket without an offset-0 segment: " + this.indexesWithoutStart + "\nindex by salt: " + hex(indexBySalt) + "\ncoverage: "
				+ coverage.entrySet().stream().map((e) -> e.getKey() + "->" + e.getValue().lastKey()).toList()
				+ "\nfirst commits: " + commits.stream().limit(3).map((c) -> Long.toHexString(c.salt()) + "@" + c.end()).toList()
				+ "\nlast commits: " + commits.stream().skip(Math.max(0, commits.size() - 3)).map((c) -> Long.toHexString(c.salt()) + "@" + c.end()).toList()
				+ "\nkeys: " + String.join("\n  ", seen.keySet()) + "\n";
		double[] lags = new double[commits.size()];
		for (int i = 0; i < lags.length; i++) {
			CommitLog.Commit c = commits.get(i);
			Long index = indexBySalt.get(c.salt());
			TreeMap<Long, Long> covered = (index != null) ? coverage.get(index) : null;
			long durableAt = Long.MAX_VALUE;
			// The first object ending at or after the commit's end covers it: segments of an index are
			// contiguous and uploaded in offset order, so later-ending ones were not seen earlier.
			Map.Entry<Long, Long> first = (covered != null) ? covered.ceilingEntry(c.end()) : null;
			if (first != null) {
				durableAt = first.getValue();
			}
			lags[i] = (durableAt == Long.MAX_VALUE) ? Double.NaN : Math.max(0, durableAt - c.epochNanos()) / 1e9;
		}
		return lags;
	}

	/**
	 * Where a poll resumes: before the previous WAL index's objects rather than right after the last key.
	 * S3Proxy's filesystem listing sometimes shows an object only after a later key of the same index
	 * has been listed; re-listing the last two indexes (a page or two) catches it with its true time.
	 */
	private static String relistFrom(String lastKey) {
		int slash = lastKey.lastIndexOf('/');
		long[] pos = ReplicaPaths.parseWalSegmentName(lastKey.substring(slash + 1));
		if (pos == null || pos[0] == 0) {
			return (pos == null) ? lastKey : lastKey.substring(0, slash + 1);
		}
		return lastKey.substring(0, slash + 1) + ReplicaPaths.formatIndex(pos[0] - 1);
	}

	private List<String> listAll() {
		List<String> keys = new ArrayList<>();
		String continuation = null;
		for (int page = 0; page < 10_000; page++) {
			ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(this.bucket).prefix(this.prefix);
			if (continuation != null) {
				request.continuationToken(continuation);
			}
			ListObjectsV2Response response = this.s3.listObjectsV2(request.build());
			response.contents().stream().map(S3Object::key)
				.filter((k) -> k.endsWith(".lz4") && k.contains("/wal/"))
				.forEach(keys::add);
			if (!Boolean.TRUE.equals(response.isTruncated())) {
				break;
			}
			continuation = response.nextContinuationToken();
		}
		return keys;
	}

	/** WAL objects the polls never listed but the final listing found (after {@link #lags}). */
	long missedByPolling() {
		return this.missedByPolling;
	}

	/** Indexes whose lowest segment in the bucket does not start at offset 0 (after {@link #lags}). */
	long indexesWithoutStart() {
		return this.indexesWithoutStart;
	}

	private byte[] download(String key) throws IOException {
		try (InputStream in = Lz4Frames
			.decompressingStream(this.s3.getObject((b) -> b.bucket(this.bucket).key(key)))) {
			return in.readAllBytes();
		}
	}

	/** Wall clock in epoch nanoseconds, comparable with the writer's (same machine, same clock). */
	static long epochNanos() {
		Instant now = Instant.now();
		return now.getEpochSecond() * 1_000_000_000L + now.getNano();
	}

	@Override
	public void close() {
		this.stopped = true;
		this.thread.interrupt();
		try {
			this.thread.join(5000);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/** What {@link #lags} found, for a run's directory: objects, salts, coverage, first and last commits. */
	String diagnostics() {
		return this.diagnostics;
	}

	private static List<String> hex(Map<Long, Long> indexBySalt) {
		List<String> out = new ArrayList<>();
		indexBySalt.forEach((salt, index) -> out.add(Long.toHexString(salt) + "=" + index));
		return out;
	}

}
