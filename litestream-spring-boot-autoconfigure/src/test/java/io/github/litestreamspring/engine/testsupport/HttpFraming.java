package io.github.litestreamspring.engine.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Just enough HTTP/1.1 framing for a loopback proxy that forwards bytes while it watches requests: CRLF
 * lines and bodies (fixed length or chunked), copied from one stream to another as they are read.
 * Shared by {@link FaultProxy} and the benchmark's request-counting proxy.
 */
public final class HttpFraming {

	/** Longest request or header line accepted. */
	public static final int MAX_LINE_BYTES = 64 * 1024;

	private HttpFraming() {
	}

	/** Reads one CRLF-terminated line, writing its bytes to {@code out} too; {@code null} at end of stream. */
	public static String line(InputStream in, OutputStream out) throws IOException {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
		int b;
		while ((b = in.read()) >= 0) {
			out.write(b);
			if (b == '\n') {
				String s = bytes.toString(StandardCharsets.ISO_8859_1);
				return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
			}
			bytes.write(b);
			if (bytes.size() > MAX_LINE_BYTES) {
				throw new IOException("header line too long");
			}
		}
		return null;
	}

	/** Copies a chunked body, trailers included. */
	public static void copyChunked(InputStream in, OutputStream out) throws IOException {
		// Bounded by the stream: every chunk consumes input, and end of stream ends it.
		while (true) {
			String sizeLine = line(in, out);
			if (sizeLine == null) {
				return;
			}
			int semicolon = sizeLine.indexOf(';');
			long size = Long.parseLong((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
			if (size == 0) {
				String trailer;
				while ((trailer = line(in, out)) != null && !trailer.isEmpty()) {
					// trailers are forwarded as read
				}
				return;
			}
			copy(in, out, size + 2); // data and its CRLF
		}
	}

	/** Copies exactly {@code count} bytes. */
	public static void copy(InputStream in, OutputStream out, long count) throws IOException {
		byte[] buffer = new byte[1 << 16];
		long left = count;
		while (left > 0) {
			int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
			if (n < 0) {
				throw new IOException("client closed mid-body");
			}
			out.write(buffer, 0, n);
			left -= n;
		}
	}

}
