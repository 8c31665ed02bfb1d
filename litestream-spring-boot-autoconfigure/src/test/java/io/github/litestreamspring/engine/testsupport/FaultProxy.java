package io.github.litestreamspring.engine.testsupport;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A fault-injecting HTTP/1.1 proxy on 127.0.0.1 in front of an S3 endpoint (S3Proxy in the tests).
 * Faults are switched at run time and apply to requests that arrive afterwards:
 * <ul>
 * <li>{@link #latency(Duration) latency}: each request waits before it is forwarded (a slow
 * endpoint);</li>
 * <li>{@link #slowDown(double) slow down}: a fraction of requests is answered {@code 503 SlowDown}
 * with S3's XML error body, without reaching the endpoint (throttling);</li>
 * <li>{@link #resetAfter(int) resets}: a connection is reset (RST, {@code SO_LINGER 0}) once that
 * many response bytes went through it, i.e. mid-response;</li>
 * <li>per request line: {@link #latency(Duration, Predicate) latency} and {@link #refuse(Predicate)
 * 503 SlowDown} for matching requests only (e.g. the lease object's, or every other);</li>
 * <li>{@link #ignoreConditionalWrites(boolean) a store that ignores conditional writes}: a request
 * with {@code If-None-Match} or {@code If-Match} is answered {@code 200 OK} without reaching the
 * endpoint (stripping the header instead would break the request's signature).</li>
 * </ul>
 * Write requests (PUT, POST, DELETE) are recorded ({@link #writeRequests()}) with their arrival and,
 * if forwarded, the time their last byte went out: the store cannot have acted on one before that.
 * It parses requests only as far as needed to answer one itself (request line, headers, a
 * {@code Content-Length} or chunked body); responses are piped through untouched. Threads are
 * daemons from a bounded pool: a connection beyond the bound is closed, and the client retries.
 */
public final class FaultProxy implements AutoCloseable {

	/** Two threads per connection; the SDK's pool holds 50 connections at most. */
	private static final int MAX_THREADS = 160;


	private final ServerSocket server;

	private final InetSocketAddress upstream;

	private final ThreadPoolExecutor threads;

	private final Thread acceptor;

	private volatile long latencyMillis;

	private volatile double slowDownFraction;

	/** Response bytes after which a connection is reset; negative when off. */
	private volatile int resetAfterBytes = -1;

	private volatile Predicate<String> slowRequests = (line) -> false;

	private volatile long slowRequestMillis;

	private volatile Predicate<String> refusedRequests = (line) -> false;

	private volatile boolean ignoreConditionalWrites;

	private final List<WriteRequest> writeRequests = new CopyOnWriteArrayList<>();

	/**
	 * A write request (PUT, POST, DELETE) that arrived at {@link System#nanoTime()} {@code arrivedNanos}
	 * and was forwarded whole at {@code forwardedNanos}, or answered by the proxy ({@code -1}).
	 */
	public record WriteRequest(long arrivedNanos, long forwardedNanos, String requestLine) {

		public boolean forwarded() {
			return this.forwardedNanos >= 0;
		}

	}

	private final AtomicLong requests = new AtomicLong();

	private final AtomicLong slowDowns = new AtomicLong();

	private final AtomicLong resets = new AtomicLong();

	private volatile boolean closed;

	public FaultProxy(URI upstream) throws IOException {
		this.upstream = new InetSocketAddress(upstream.getHost(), upstream.getPort());
		this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		AtomicInteger n = new AtomicInteger();
		this.threads = new ThreadPoolExecutor(0, MAX_THREADS, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), (r) -> {
			Thread t = new Thread(r, "fault-proxy-" + n.incrementAndGet());
			t.setDaemon(true);
			return t;
		});
		this.acceptor = new Thread(this::accept, "fault-proxy-accept-" + this.server.getLocalPort());
		this.acceptor.setDaemon(true);
		this.acceptor.start();
	}

	public URI endpoint() {
		return URI.create("http://127.0.0.1:" + this.server.getLocalPort());
	}

	/** Delays every request by {@code latency} before forwarding it; zero for none. */
	public FaultProxy latency(Duration latency) {
		this.latencyMillis = latency.toMillis();
		return this;
	}

	/** Answers {@code fraction} (0 to 1) of the requests with {@code 503 SlowDown}. */
	public FaultProxy slowDown(double fraction) {
		this.slowDownFraction = fraction;
		return this;
	}

	/** Resets each connection after {@code bytes} response bytes; negative turns it off. */
	public FaultProxy resetAfter(int bytes) {
		this.resetAfterBytes = bytes;
		return this;
	}

	/** Delays the requests whose request line ({@code PUT /bucket/key?... HTTP/1.1}) matches. */
	public FaultProxy latency(Duration latency, Predicate<String> requestLines) {
		this.slowRequestMillis = latency.toMillis();
		this.slowRequests = requestLines;
		return this;
	}

	/** Answers every request whose request line matches with {@code 503 SlowDown}. */
	public FaultProxy refuse(Predicate<String> requestLines) {
		this.refusedRequests = requestLines;
		return this;
	}

	/** Answers conditional requests ({@code If-None-Match}, {@code If-Match}) {@code 200 OK} unforwarded. */
	public FaultProxy ignoreConditionalWrites(boolean ignore) {
		this.ignoreConditionalWrites = ignore;
		return this;
	}

	/** Write requests seen so far, in order of arrival. */
	public List<WriteRequest> writeRequests() {
		return List.copyOf(this.writeRequests);
	}

	/** Turns every fault off. */
	public FaultProxy heal() {
		return latency(Duration.ZERO).slowDown(0).resetAfter(-1).latency(Duration.ZERO, (line) -> false)
			.refuse((line) -> false).ignoreConditionalWrites(false);
	}

	/** Requests seen, including those answered by the proxy itself. */
	public long requests() {
		return this.requests.get();
	}

	/** Requests answered {@code 503 SlowDown}. */
	public long slowDowns() {
		return this.slowDowns.get();
	}

	/** Connections reset mid-response. */
	public long resets() {
		return this.resets.get();
	}

	@Override
	public void close() {
		this.closed = true;
		closeQuietly(this.server);
		this.threads.shutdownNow();
		try {
			this.acceptor.join(5000);
			this.threads.awaitTermination(5, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private void accept() {
		while (!this.closed) {
			Socket client;
			try {
				client = this.server.accept();
			}
			catch (IOException ex) {
				return; // closed
			}
			try {
				this.threads.execute(() -> connect(client));
			}
			catch (RejectedExecutionException ex) {
				closeQuietly(client); // over the bound: the client sees a dropped connection and retries
			}
		}
	}

	private void connect(Socket client) {
		Socket server = new Socket();
		try {
			server.connect(this.upstream, 5000);
			client.setTcpNoDelay(true);
			server.setTcpNoDelay(true);
			Connection connection = new Connection(client, server);
			this.threads.execute(connection::pipeResponses);
			connection.forwardRequests();
		}
		catch (IOException | RejectedExecutionException ex) {
			// the endpoint refused, or a side closed: the client sees its connection drop
		}
		finally {
			closeQuietly(client);
			closeQuietly(server);
		}
	}

	/** One client connection and its upstream connection. */
	private final class Connection {

		private final Socket client;

		private final Socket server;

		/** Serializes writes to the client: responses piped through, and the proxy's own answers. */
		private final Object clientLock = new Object();

		Connection(Socket client, Socket server) {
			this.client = client;
			this.server = server;
		}

		void forwardRequests() throws IOException {
			InputStream in = new BufferedInputStream(this.client.getInputStream(), 1 << 16);
			OutputStream out = new BufferedOutputStream(this.server.getOutputStream(), 1 << 16);
			// Bounded by the stream: every request consumes input, and end of stream ends the loop.
			while (!FaultProxy.this.closed) {
				ByteArrayOutputStream head = new ByteArrayOutputStream(1024);
				String requestLine = HttpFraming.line(in, head);
				if (requestLine == null) {
					return;
				}
				if (requestLine.isEmpty()) {
					continue;
				}
				long contentLength = 0;
				boolean chunked = false;
				boolean conditional = false;
				String header;
				while ((header = HttpFraming.line(in, head)) != null && !header.isEmpty()) {
					String lower = header.toLowerCase(Locale.ROOT);
					if (lower.startsWith("content-length:")) {
						contentLength = Long.parseLong(lower.substring(15).trim());
					}
					else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
						chunked = true;
					}
					else if (lower.startsWith("if-none-match:") || lower.startsWith("if-match:")) {
						conditional = true;
					}
				}
				if (header == null) {
					return;
				}
				FaultProxy.this.requests.incrementAndGet();
				long arrived = System.nanoTime();
				boolean write = requestLine.startsWith("PUT ") || requestLine.startsWith("POST ")
						|| requestLine.startsWith("DELETE ");
				if (write && ((conditional && FaultProxy.this.ignoreConditionalWrites)
						|| FaultProxy.this.refusedRequests.test(requestLine))) {
					FaultProxy.this.writeRequests.add(new WriteRequest(arrived, -1, requestLine));
				}
				if (conditional && FaultProxy.this.ignoreConditionalWrites) {
					answer("200 OK", "ETag: \"" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + "\"\r\n",
							new byte[0]);
					return;
				}
				if (FaultProxy.this.refusedRequests.test(requestLine)) {
					FaultProxy.this.slowDowns.incrementAndGet();
					answerSlowDown(requestLine);
					return;
				}
				if (FaultProxy.this.slowRequests.test(requestLine)) {
					sleep(FaultProxy.this.slowRequestMillis);
				}
				double fraction = FaultProxy.this.slowDownFraction;
				if (fraction > 0 && ThreadLocalRandom.current().nextDouble() < fraction) {
					// Closing after the answer spares reading a body the client may never send (it may
					// wait for "100 Continue").
					FaultProxy.this.slowDowns.incrementAndGet();
					answerSlowDown(requestLine);
					return;
				}
				long latency = FaultProxy.this.latencyMillis;
				if (latency > 0) {
					sleep(latency);
				}
				// The headers first: an "Expect: 100-continue" client waits for the endpoint's answer.
				head.writeTo(out);
				out.flush();
				if (chunked) {
					HttpFraming.copyChunked(in, out);
				}
				else {
					HttpFraming.copy(in, out, contentLength);
				}
				out.flush();
				if (write) {
					FaultProxy.this.writeRequests.add(new WriteRequest(arrived, System.nanoTime(), requestLine));
				}
			}
		}

		void pipeResponses() {
			byte[] buffer = new byte[1 << 14];
			long forwarded = 0;
			try {
				InputStream in = this.server.getInputStream();
				OutputStream out = this.client.getOutputStream();
				int n;
				while ((n = in.read(buffer)) >= 0) {
					int limit = FaultProxy.this.resetAfterBytes;
					if (limit >= 0 && forwarded + n > limit) {
						int part = (int) Math.max(0, limit - forwarded);
						synchronized (this.clientLock) {
							out.write(buffer, 0, part);
							out.flush();
						}
						FaultProxy.this.resets.incrementAndGet();
						reset();
						return;
					}
					synchronized (this.clientLock) {
						out.write(buffer, 0, n);
						out.flush();
					}
					forwarded += n;
				}
			}
			catch (IOException ex) {
				// a side closed
			}
			finally {
				closeQuietly(this.client);
				closeQuietly(this.server);
			}
		}

		private void answerSlowDown(String requestLine) throws IOException {
			String[] parts = requestLine.split(" ");
			String resource = (parts.length > 1) ? parts[1].replace("&", "&amp;").replace("<", "&lt;") : "/";
			String body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
					+ "<Message>Please reduce your request rate.</Message><Resource>" + resource
					+ "</Resource><RequestId>fault-proxy</RequestId></Error>";
			answer("503 Slow Down", "Content-Type: application/xml\r\n", body.getBytes(StandardCharsets.UTF_8));
		}

		/** Answers the request itself and closes (the body, if any, is never read). */
		private void answer(String status, String headers, byte[] bytes) throws IOException {
			String head = "HTTP/1.1 " + status + "\r\n" + headers + "Content-Length: " + bytes.length
					+ "\r\nx-amz-request-id: fault-proxy\r\nConnection: close\r\n\r\n";
			synchronized (this.clientLock) {
				OutputStream out = this.client.getOutputStream();
				out.write(head.getBytes(StandardCharsets.ISO_8859_1));
				out.write(bytes);
				out.flush();
			}
		}

		/** Closes the client side with an RST rather than a FIN, like a dropped connection. */
		private void reset() {
			try {
				this.client.setSoLinger(true, 0);
			}
			catch (IOException ex) {
				// already closed
			}
			closeQuietly(this.client);
			closeQuietly(this.server);
		}

	}

	private static void sleep(long millis) throws IOException {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException("interrupted", ex);
		}
	}

	private static void closeQuietly(AutoCloseable closeable) {
		try {
			closeable.close();
		}
		catch (Exception ex) {
			// closing anyway
		}
	}

}
