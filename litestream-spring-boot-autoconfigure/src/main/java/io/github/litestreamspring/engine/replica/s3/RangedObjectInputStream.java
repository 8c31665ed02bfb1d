package io.github.litestreamspring.engine.replica.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * One S3 object read as consecutive byte ranges of {@code partSize}, fetched by up to
 * {@code parallelism} concurrent GETs and handed out strictly in order. A single GET stream is
 * limited to roughly 50-100 MB/s on S3; parallel range GETs are AWS's advice for large objects.
 * <p>
 * Invariants:
 * <ul>
 * <li>Memory is bounded by the window, not the object: at most {@code parallelism} parts exist at
 * once, the one being read included. The next range is requested only when a part has been read
 * to its end.</li>
 * <li>Every range GET carries {@code If-Match: <etag>} of the version the caller saw, so an object
 * replaced mid-download fails with 412 instead of mixing two versions' bytes.</li>
 * <li>Each range is checked against the answer's {@code Content-Range} and its length; a range is
 * retried as a whole through {@link S3Retry} (a connection reset mid-body included), and one that
 * still fails fails the stream with an {@link IOException} naming the key and the range.</li>
 * <li>{@link #close()} (or the end of the object, or a failure) aborts the GETs in flight and shuts
 * the stream's own daemon threads down: nothing outlives the stream.</li>
 * </ul>
 */
final class RangedObjectInputStream extends InputStream {

	private static final Logger logger = LoggerFactory.getLogger(RangedObjectInputStream.class);

	private static final AtomicInteger streams = new AtomicInteger();

	private final S3Client s3;

	private final S3Retry retry;

	private final GetObjectRequest request;

	private final long size;

	/** Offset of the first byte this stream hands out (earlier bytes were read by someone else). */
	private final long start;

	private final int partSize;

	private final int parts;

	private final ExecutorService executor;

	/** Parts requested and not yet read, in order; their count is the window. */
	private final Deque<Future<byte[]>> window = new ArrayDeque<>();

	/**
	 * Part buffers the reader has finished with, for the next ranges: at most one per worker plus the
	 * part being read are ever allocated, instead of a new {@code partSize} array per range.
	 */
	private final Queue<byte[]> freeBuffers = new ConcurrentLinkedQueue<>();

	/** Response bodies being read by the workers, aborted on close. */
	private final Set<ResponseInputStream<GetObjectResponse>> inFlight = ConcurrentHashMap.newKeySet();

	private volatile boolean closed;

	private int nextToRequest;

	private int nextToRead;

	private byte[] current = new byte[0];

	/** Bytes of {@link #current} that belong to the part (the last part is shorter than its buffer). */
	private int currentLength;

	private int position;

	private IOException failure;

	/**
	 * Starts fetching the first {@code parallelism} ranges.
	 * @param request the GET of the object (bucket, key, SSE-C headers); range and condition are added
	 * @param size the object's size, from a HeadObject or a GET
	 * @param eTag the version to read, from the same answer
	 * @param start the offset to start at: 0, or where a plain GET of the same version stopped
	 */
	RangedObjectInputStream(S3Client s3, S3Retry retry, GetObjectRequest request, long size, String eTag,
			long start, int partSize, int parallelism) {
		this.s3 = s3;
		this.retry = retry;
		this.request = request.toBuilder().ifMatch(Objects.requireNonNull(eTag, "eTag")).build();
		this.size = size;
		this.start = start;
		this.partSize = partSize;
		this.parts = (int) ((size - start + partSize - 1) / partSize);
		int threads = Math.max(1, Math.min(parallelism, this.parts));
		int id = streams.incrementAndGet();
		AtomicInteger n = new AtomicInteger();
		this.executor = Executors.newFixedThreadPool(threads, (r) -> {
			Thread t = new Thread(r, "litestream-s3-download-" + id + "-" + n.incrementAndGet());
			t.setDaemon(true);
			return t;
		});
		logger.debug("downloading {} ({} bytes) from offset {} as {} ranges of {} bytes, {} at a time", location(),
				size, start, this.parts, partSize, threads);
		for (int i = 0; i < threads; i++) {
			requestNext();
		}
	}

	@Override
	public int read() throws IOException {
		byte[] one = new byte[1];
		int n = read(one, 0, 1);
		return (n < 0) ? -1 : (one[0] & 0xff);
	}

	@Override
	public int read(byte[] b, int off, int len) throws IOException {
		Objects.checkFromIndexSize(off, len, b.length);
		if (len == 0) {
			return 0;
		}
		if (!advance()) {
			return -1;
		}
		int n = Math.min(len, this.currentLength - this.position);
		System.arraycopy(this.current, this.position, b, off, n);
		this.position += n;
		return n;
	}

	@Override
	public int available() {
		return this.currentLength - this.position;
	}

	/** Closing before the end cancels the ranges still in flight; it never waits for them. */
	@Override
	public void close() {
		if (this.closed) {
			return;
		}
		this.closed = true;
		for (Future<byte[]> f : this.window) {
			f.cancel(true);
		}
		this.window.clear();
		for (ResponseInputStream<GetObjectResponse> body : this.inFlight) {
			body.abort();
		}
		this.executor.shutdownNow();
		this.current = new byte[0];
		this.currentLength = 0;
		this.freeBuffers.clear();
	}

	/** Makes {@link #current} a part with unread bytes; false at the end of the object. */
	private boolean advance() throws IOException {
		if (this.failure != null) {
			throw this.failure;
		}
		if (this.closed) {
			throw new IOException("stream of " + location() + " is closed");
		}
		while (this.position == this.currentLength) {
			Future<byte[]> next = this.window.pollFirst();
			if (next == null) {
				close();
				return false;
			}
			if (this.current.length == this.partSize) {
				this.freeBuffers.offer(this.current);
			}
			int part = this.nextToRead++;
			this.current = await(next);
			this.currentLength = (int) Math.min(this.partSize, this.size - this.start - (long) part * this.partSize);
			this.position = 0;
			// The part just taken left the window: a range more may be fetched.
			requestNext();
		}
		return true;
	}

	private byte[] await(Future<byte[]> part) throws IOException {
		try {
			return part.get();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw fail(new InterruptedIOException("interrupted while downloading " + location()));
		}
		catch (CancellationException ex) {
			// close() from another thread while this one waited for the part.
			throw fail(new IOException("stream of " + location() + " was closed during the download", ex));
		}
		catch (ExecutionException ex) {
			Throwable cause = ex.getCause();
			throw fail((cause instanceof IOException io) ? io
					: new IOException("cannot download " + location() + ": " + cause, cause));
		}
	}

	private IOException fail(IOException ex) {
		this.failure = ex;
		close();
		return ex;
	}

	private void requestNext() {
		if (this.nextToRequest >= this.parts || this.closed) {
			return;
		}
		int part = this.nextToRequest++;
		this.window.addLast(this.executor.submit(() -> fetch(part)));
	}

	/** Runs on a worker: one range, retried as a whole. */
	private byte[] fetch(int part) throws IOException {
		long first = this.start + (long) part * this.partSize;
		int length = (int) Math.min(this.partSize, this.size - first);
		long last = first + length - 1;
		String range = "bytes=" + first + "-" + last;
		GetObjectRequest get = this.request.toBuilder().range(range).build();
		try {
			return this.retry.call("GetObject", this.request.key(), () -> {
				if (this.closed) {
					throw new CancellationException("download of " + location() + " was closed");
				}
				try (ResponseInputStream<GetObjectResponse> body = this.s3.getObject(get)) {
					this.inFlight.add(body);
					try {
						if (this.closed) {
							body.abort();
							throw new CancellationException("download of " + location() + " was closed");
						}
						checkContentRange(body.response(), first, last, range);
						byte[] pooled = this.freeBuffers.poll();
						byte[] bytes = (pooled != null) ? pooled : new byte[this.partSize];
						int n = body.readNBytes(bytes, 0, length);
						if (n != length) {
							throw new IOException("S3 answered " + n + " bytes instead of " + length);
						}
						return bytes;
					}
					catch (IOException ex) {
						if (ex instanceof RangeMismatchException) {
							throw ex;
						}
						// A reset or truncated body: retried like any network error.
						throw new UncheckedIOException(ex);
					}
					finally {
						this.inFlight.remove(body);
					}
				}
			});
		}
		catch (IOException ex) {
			// 412 from If-Match lands here: the object is no longer the version we started with.
			String why = (ex.getCause() instanceof AwsServiceException ase
					&& ase.statusCode() == 412) ? " (the object was replaced during the download)" : "";
			throw new IOException("cannot download " + location() + " " + range + " of " + this.size + why + ": "
					+ ex.getMessage(), ex);
		}
	}

	/** A server that ignores {@code Range} answers the whole object: its first bytes must not pass as part n. */
	private void checkContentRange(GetObjectResponse response, long first, long last, String range)
			throws RangeMismatchException {
		String expected = "bytes " + first + "-" + last + "/" + this.size;
		if (!expected.equals(response.contentRange())) {
			throw new RangeMismatchException("asked for " + range + ", S3 answered Content-Range "
					+ response.contentRange() + " (expected " + expected + ")");
		}
	}

	private String location() {
		return "s3://" + this.request.bucket() + "/" + this.request.key();
	}

	/** The answer is not the range asked for: not a network error, so not retried. */
	private static final class RangeMismatchException extends IOException {

		private static final long serialVersionUID = 1L;

		RangeMismatchException(String message) {
			super(message);
		}

	}

}
