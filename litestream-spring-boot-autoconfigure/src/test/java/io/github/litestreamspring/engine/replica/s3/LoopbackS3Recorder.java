package io.github.litestreamspring.engine.replica.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A minimal S3 look-alike on 127.0.0.1 that records every request's headers as they arrive on the
 * wire and answers just enough of PutObject, multipart upload and GetObject for the SDK to succeed.
 * Used for SSE headers, which S3Proxy refuses with 501 NotImplemented.
 */
final class LoopbackS3Recorder implements AutoCloseable {

	private final HttpServer server;

	private final List<Request> requests = new CopyOnWriteArrayList<>();

	LoopbackS3Recorder() throws IOException {
		this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		this.server.createContext("/", this::handle);
		this.server.start();
	}

	URI endpoint() {
		return URI.create("http://127.0.0.1:" + this.server.getAddress().getPort());
	}

	List<Request> requests() {
		return List.copyOf(this.requests);
	}

	private void handle(HttpExchange exchange) throws IOException {
		try (exchange) {
			long bodyLength;
			try (InputStream in = exchange.getRequestBody()) {
				bodyLength = in.transferTo(OutputStream.nullOutputStream());
			}
			String query = (exchange.getRequestURI().getRawQuery() != null) ? exchange.getRequestURI().getRawQuery() : "";
			Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
			exchange.getRequestHeaders().forEach((k, v) -> headers.put(k, String.join(",", v)));
			this.requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), query,
					headers, bodyLength));
			String method = exchange.getRequestMethod();
			if (method.equals("POST") && query.startsWith("uploads")) {
				xml(exchange, "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
						+ "<UploadId>upload-1</UploadId></InitiateMultipartUploadResult>");
			}
			else if (method.equals("POST") && query.contains("uploadId=")) {
				xml(exchange, "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
						+ "<ETag>\"etag-2\"</ETag></CompleteMultipartUploadResult>");
			}
			else if (method.equals("GET")) {
				byte[] body = "payload".getBytes(StandardCharsets.UTF_8);
				exchange.getResponseHeaders().add("ETag", "\"etag\"");
				exchange.sendResponseHeaders(200, body.length);
				exchange.getResponseBody().write(body);
			}
			else if (method.equals("DELETE")) {
				exchange.sendResponseHeaders(204, -1);
			}
			else {
				exchange.getResponseHeaders().add("ETag", "\"etag-" + this.requests.size() + "\"");
				exchange.sendResponseHeaders(200, -1);
			}
		}
	}

	private static void xml(HttpExchange exchange, String body) throws IOException {
		byte[] bytes = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + body.replaceFirst(">",
				" xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">")).getBytes(StandardCharsets.UTF_8);
		exchange.getResponseHeaders().add("Content-Type", "application/xml");
		exchange.sendResponseHeaders(200, bytes.length);
		exchange.getResponseBody().write(bytes);
	}

	@Override
	public void close() {
		this.server.stop(0);
	}

	/** One request as received. */
	record Request(String method, String path, String query, Map<String, String> headers, long bodyLength) {

		String header(String name) {
			return this.headers.get(name);
		}

		/** A short name of the S3 operation this request is. */
		String operation() {
			if (this.method.equals("POST")) {
				return this.query.startsWith("uploads") ? "CreateMultipartUpload" : "CompleteMultipartUpload";
			}
			if (this.method.equals("PUT")) {
				return this.query.contains("partNumber=") ? "UploadPart" : "PutObject";
			}
			return this.method.equals("GET") ? "GetObject" : this.method;
		}

	}

}
