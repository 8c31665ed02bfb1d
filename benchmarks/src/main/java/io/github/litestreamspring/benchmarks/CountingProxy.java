package io.github.litestreamspring.benchmarks;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;

import io.github.litestreamspring.engine.testsupport.HttpFraming;

/**
 * A loopback HTTP/1.1 proxy in front of S3Proxy that counts the requests of one replicator, so each
 * tool's PUT/GET/LIST rates are measured at the wire and attributed without guessing. It parses only
 * the request side (request line, headers, a {@code Content-Length} or chunked body) and pipes
 * responses through untouched.
 */
final class CountingProxy implements AutoCloseable {

	/** Request kinds as reported; multipart POSTs count as PUT (they are uploads). */
	enum Kind {
		PUT, GET, LIST, OTHER
	}

	/** One request: when its headers arrived (epoch millis), and what it was. */
	record Request(long epochMillis, Kind kind) {
	}


	private final ServerSocket server;

	private final InetSocketAddress upstream;

	/**
	 * Per direction of a connection. Small: a client that opens a connection per request keeps thousands
	 * idle until its idle timeout (Litestream v0.3.13 restoring 10,000 segments ran the harness out of a
	 * 512 MiB heap with 64 KiB buffers).
	 */
	private static final int BUFFER = 16 * 1024;

	private final ConcurrentLinkedQueue<Request> requests = new ConcurrentLinkedQueue<>();

	private volatile boolean closed;

	/** Added to every request before it reaches S3Proxy: the first-byte latency real S3 has. */
	private final long latencyMillis;

	CountingProxy(URI upstream) throws IOException {
		this(upstream, 0);
	}

	/**
	 * @param latencyMillis delay added to each request before it is sent on (0: none), to emulate a remote
	 * store (real S3 answers a GET in about 20–50 ms); requests on one connection are delayed one after
	 * the other, requests on parallel connections in parallel, as a remote store's would be
	 */
	CountingProxy(URI upstream, long latencyMillis) throws IOException {
		this.latencyMillis = latencyMillis;
		this.upstream = new InetSocketAddress(upstream.getHost(), upstream.getPort());
		this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		Thread acceptor = new Thread(this::accept, "counting-proxy-" + this.server.getLocalPort());
		acceptor.setDaemon(true);
		acceptor.start();
	}

	URI endpoint() {
		return URI.create("http://127.0.0.1:" + this.server.getLocalPort());
	}

	/** Requests of {@code kind} since the proxy started. */
	long count(Kind kind) {
		return count(kind, 0, Long.MAX_VALUE);
	}

	/** Requests of {@code kind} whose headers arrived in {@code [fromMillis, toMillis)}. */
	long count(Kind kind, long fromMillis, long toMillis) {
		return this.requests.stream()
			.filter((r) -> r.kind() == kind && r.epochMillis() >= fromMillis && r.epochMillis() < toMillis)
			.count();
	}

	private void accept() {
		while (!this.closed) {
			try {
				Socket client = this.server.accept();
				Socket server = new Socket();
				server.connect(this.upstream, 5000);
				client.setTcpNoDelay(true);
				server.setTcpNoDelay(true);
				InputStream fromServer = server.getInputStream();
				OutputStream toClient = client.getOutputStream();
				start("down", () -> pipe(fromServer, toClient, client, server));
				start("up", () -> forwardRequests(client, server));
			}
			catch (IOException ex) {
				// closed, or S3Proxy refused: the client sees its connection drop and retries
			}
		}
	}

	private static void start(String name, Runnable work) {
		Thread t = new Thread(work, "counting-proxy-" + name);
		t.setDaemon(true);
		t.start();
	}

	private void forwardRequests(Socket client, Socket server) {
		try (InputStream in = new BufferedInputStream(client.getInputStream(), BUFFER)) {
			// Buffered: headers are forwarded byte by byte as they are parsed.
			OutputStream out = new BufferedOutputStream(server.getOutputStream(), BUFFER);
			String requestLine;
			while ((requestLine = HttpFraming.line(in, out)) != null) {
				if (requestLine.isEmpty()) {
					continue;
				}
				long contentLength = 0;
				boolean chunked = false;
				String header;
				while ((header = HttpFraming.line(in, out)) != null && !header.isEmpty()) {
					String lower = header.toLowerCase(Locale.ROOT);
					if (lower.startsWith("content-length:")) {
						contentLength = Long.parseLong(lower.substring(15).trim());
					}
					else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
						chunked = true;
					}
				}
				this.requests.add(new Request(System.currentTimeMillis(), classify(requestLine)));
				if (this.latencyMillis > 0) {
					// The headers are still in the buffer: the request reaches S3Proxy only after the delay.
					try {
						Thread.sleep(this.latencyMillis);
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
						return;
					}
				}
				// Flush the headers: an "Expect: 100-continue" client waits for the server's answer.
				out.flush();
				if (chunked) {
					HttpFraming.copyChunked(in, out);
				}
				else {
					HttpFraming.copy(in, out, contentLength);
				}
				out.flush();
			}
		}
		catch (IOException ex) {
			// connection closed by either side
		}
		finally {
			closeQuietly(client, server);
		}
	}

	/** PUT/GET/LIST from the request line, e.g. {@code GET /bucket?list-type=2&prefix=x HTTP/1.1}. */
	static Kind classify(String requestLine) {
		String[] parts = requestLine.split(" ");
		String method = parts[0];
		String target = (parts.length > 1) ? parts[1] : "/";
		int q = target.indexOf('?');
		String path = (q < 0) ? target : target.substring(0, q);
		String query = (q < 0) ? "" : target.substring(q + 1);
		switch (method) {
			case "PUT", "POST":
				return Kind.PUT;
			case "GET":
				// Path style: "/bucket" or "/bucket/" is the bucket itself, which only lists.
				boolean bucketOnly = path.replaceAll("^/+|/+$", "").indexOf('/') < 0;
				return (bucketOnly || query.contains("list-type")) ? Kind.LIST : Kind.GET;
			default:
				return Kind.OTHER;
		}
	}

	private static void pipe(InputStream in, OutputStream out, Socket a, Socket b) {
		byte[] buffer = new byte[BUFFER];
		try {
			int n;
			while ((n = in.read(buffer)) >= 0) {
				out.write(buffer, 0, n);
				out.flush();
			}
		}
		catch (IOException ex) {
			// connection closed by either side
		}
		finally {
			closeQuietly(a, b);
		}
	}

	private static void closeQuietly(Socket... sockets) {
		for (Socket s : sockets) {
			try {
				s.close();
			}
			catch (IOException ex) {
				// nothing to do
			}
		}
	}

	@Override
	public void close() throws IOException {
		this.closed = true;
		this.server.close();
	}

}
