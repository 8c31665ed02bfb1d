package io.github.litestreamspring.engine.replica.s3;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.function.LongFunction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * One S3 object read through a plain GET that hands over to parallel byte ranges
 * ({@link RangedObjectInputStream}) when the GET turns out to be the bottleneck.
 * <p>
 * Parallel ranges pay off only where one GET stream is slow (S3: 50-100 MB/s per stream); against a
 * loopback or LAN server one stream is faster than the restore can decompress and write, and ranges
 * only add requests, threads and copies on two busy ends. So the first {@code probeBytes} come from
 * the plain GET while the time spent <em>waiting inside its reads</em> is measured — the consumer's own
 * time does not count, so a slow disk or decoder never makes the network look slow. If those bytes
 * arrived slower than {@code rangesBelowBytesPerSecond}, the GET is aborted and the rest of the
 * object is fetched in ranges pinned to the GET's ETag (a replaced object fails with 412 instead of
 * mixing versions); otherwise the GET is read to its end. The decision is taken once. A GET that
 * fails mid-body (a reset connection, a truncated answer) hands over the same way, so a long download
 * resumes where it stopped instead of failing the restore.
 */
final class AdaptiveObjectInputStream extends InputStream {

	private static final Logger logger = LoggerFactory.getLogger(AdaptiveObjectInputStream.class);

	private final ResponseInputStream<GetObjectResponse> get;

	private final String location;

	private final long probeBytes;

	private final long rangesBelowBytesPerSecond;

	/** Opens the ranged rest of the object from an offset. */
	private final LongFunction<InputStream> ranges;

	private InputStream current;

	private long read;

	private long waitNanos;

	private boolean decided;

	private boolean eof;

	private boolean closed;

	/**
	 * @param get the plain GET, its body not read yet
	 * @param location the object, for logs
	 * @param probeBytes bytes to read from the GET before deciding
	 * @param rangesBelowBytesPerSecond the GET's speed under which the rest is fetched in ranges
	 * @param ranges opens a {@link RangedObjectInputStream} of the same version from an offset
	 */
	AdaptiveObjectInputStream(ResponseInputStream<GetObjectResponse> get, String location, long probeBytes,
			long rangesBelowBytesPerSecond, LongFunction<InputStream> ranges) {
		this.get = get;
		this.location = location;
		this.probeBytes = probeBytes;
		this.rangesBelowBytesPerSecond = rangesBelowBytesPerSecond;
		this.ranges = ranges;
		this.current = get;
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
		if (this.closed) {
			throw new IOException("stream of " + this.location + " is closed");
		}
		if (len == 0) {
			return 0;
		}
		if (this.current != this.get) {
			int n = this.current.read(b, off, len);
			this.eof = n < 0;
			return n;
		}
		// Never read past the probe: the hand-over must happen exactly at a byte the caller has not seen.
		int want = this.decided ? len : (int) Math.min(len, this.probeBytes - this.read);
		long started = System.nanoTime();
		int n;
		try {
			n = this.get.read(b, off, want);
		}
		catch (IOException ex) {
			if (this.closed) {
				throw ex;
			}
			// A reset or truncated GET: the version is known, so the rest comes in ranges (each retried)
			// instead of failing the whole restore.
			handOver("the GET failed at byte " + this.read + " (" + ex.getMessage() + ")", true);
			return read(b, off, len);
		}
		if (!this.decided) {
			this.waitNanos += System.nanoTime() - started;
		}
		if (n < 0) {
			this.decided = true;
			this.eof = true;
			return n;
		}
		this.read += n;
		if (!this.decided && this.read >= this.probeBytes) {
			decide();
		}
		return n;
	}

	@Override
	public int available() throws IOException {
		return this.closed ? 0 : this.current.available();
	}

	@Override
	public void close() throws IOException {
		if (this.closed) {
			return;
		}
		this.closed = true;
		if (this.current != this.get) {
			this.current.close();
			return;
		}
		if (!this.eof) {
			// A GET closed before its end would be drained to reuse the connection: abort it instead.
			this.get.abort();
		}
		this.get.close();
	}

	private void decide() {
		this.decided = true;
		long bytesPerSecond = (long) (this.read / Math.max(this.waitNanos / 1e9, 1e-9));
		if (bytesPerSecond >= this.rangesBelowBytesPerSecond) {
			logger.debug("{}: one GET delivers {} MB/s, reading it to the end", this.location, bytesPerSecond / 1_000_000);
			return;
		}
		handOver("one GET delivered " + bytesPerSecond / 1_000_000 + " MB/s", false);
	}

	/** Aborts the GET and continues with ranges from the first byte the caller has not read. */
	private void handOver(String why, boolean failed) {
		this.decided = true;
		this.get.abort();
		try {
			this.get.close();
		}
		catch (IOException ex) {
			logger.debug("{}: closing the aborted GET: {}", this.location, ex.getMessage());
		}
		if (failed) {
			logger.warn("{}: {}, continuing from byte {} in parallel ranges", this.location, why, this.read);
		}
		else {
			logger.info("{}: {}, continuing from byte {} in parallel ranges", this.location, why, this.read);
		}
		this.current = this.ranges.apply(this.read);
	}

}
