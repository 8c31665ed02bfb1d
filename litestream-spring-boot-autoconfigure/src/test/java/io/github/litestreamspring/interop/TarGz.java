package io.github.litestreamspring.interop;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * A minimal reader for {@code .tgz} archives (ustar, with PAX long names), just enough to pull
 * one file out of an npm package tarball without depending on a {@code tar} executable.
 */
final class TarGz {

	private static final int BLOCK = 512;

	private TarGz() {
	}

	/**
	 * Copies the regular file {@code entryName} of {@code archive} to {@code target}.
	 * @param archive a gzip-compressed tar file
	 * @param entryName the name inside the archive, e.g. {@code package/litestream}
	 * @param target where to write it (replaced if present)
	 * @throws IOException if reading fails or the entry is absent
	 */
	static void extract(Path archive, String entryName, Path target) throws IOException {
		try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(archive)))) {
			byte[] header = new byte[BLOCK];
			String paxPath = null;
			while (readBlock(in, header)) {
				if (isZeroBlock(header)) {
					break;
				}
				long size = parseOctal(header, 124, 12);
				char type = (char) header[156];
				if (type == 'x') {
					// PAX extended header: may carry the real path of the next entry.
					paxPath = parsePaxPath(new String(readFully(in, size), StandardCharsets.UTF_8));
					skipPadding(in, size);
					continue;
				}
				String name = (paxPath != null) ? paxPath : entryName(header);
				paxPath = null;
				if ((type == '0' || type == '\0') && name.equals(entryName)) {
					try (OutputStream out = Files.newOutputStream(target)) {
						copy(in, out, size);
					}
					return;
				}
				skip(in, size);
				skipPadding(in, size);
			}
		}
		throw new IOException("No entry '" + entryName + "' in " + archive);
	}

	private static String entryName(byte[] header) {
		String name = cString(header, 0, 100);
		String prefix = cString(header, 345, 155);
		boolean ustar = cString(header, 257, 6).startsWith("ustar");
		return (ustar && !prefix.isEmpty()) ? prefix + "/" + name : name;
	}

	private static String parsePaxPath(String records) {
		// Records are "<len> <key>=<value>\n"; only "path" matters here.
		for (String record : records.split("\n")) {
			int space = record.indexOf(' ');
			if (space > 0 && record.startsWith("path=", space + 1)) {
				return record.substring(space + 1 + "path=".length());
			}
		}
		return null;
	}

	private static String cString(byte[] buf, int off, int len) {
		int end = off;
		while (end < off + len && buf[end] != 0) {
			end++;
		}
		return new String(buf, off, end - off, StandardCharsets.UTF_8);
	}

	private static long parseOctal(byte[] buf, int off, int len) throws IOException {
		if ((buf[off] & 0x80) != 0) {
			throw new IOException("Base-256 tar sizes are not supported");
		}
		String s = cString(buf, off, len).trim();
		return s.isEmpty() ? 0 : Long.parseLong(s, 8);
	}

	private static boolean isZeroBlock(byte[] block) {
		for (byte b : block) {
			if (b != 0) {
				return false;
			}
		}
		return true;
	}

	private static boolean readBlock(InputStream in, byte[] block) throws IOException {
		int n = in.readNBytes(block, 0, BLOCK);
		if (n == 0) {
			return false;
		}
		if (n < BLOCK) {
			throw new EOFException("Truncated tar header");
		}
		return true;
	}

	private static byte[] readFully(InputStream in, long size) throws IOException {
		byte[] data = in.readNBytes(Math.toIntExact(size));
		if (data.length < size) {
			throw new EOFException("Truncated tar entry");
		}
		return data;
	}

	private static void copy(InputStream in, OutputStream out, long size) throws IOException {
		byte[] buf = new byte[64 * 1024];
		long remaining = size;
		while (remaining > 0) {
			int n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
			if (n < 0) {
				throw new EOFException("Truncated tar entry");
			}
			out.write(buf, 0, n);
			remaining -= n;
		}
	}

	private static void skip(InputStream in, long size) throws IOException {
		copy(in, OutputStream.nullOutputStream(), size);
	}

	private static void skipPadding(InputStream in, long size) throws IOException {
		skip(in, (BLOCK - (size % BLOCK)) % BLOCK);
	}

}
