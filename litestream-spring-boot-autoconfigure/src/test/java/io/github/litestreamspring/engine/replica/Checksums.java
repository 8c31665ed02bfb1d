package io.github.litestreamspring.engine.replica;

import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of streams, read in small chunks so that large objects never sit in memory. */
public final class Checksums {

	private Checksums() {
	}

	/** Hex SHA-256 and length of the whole stream; closes it. */
	public static Digest sha256(InputStream in) throws IOException {
		MessageDigest md = newDigest();
		long length = 0;
		try (InputStream dis = new DigestInputStream(in, md)) {
			byte[] buffer = new byte[64 * 1024];
			int n;
			while ((n = dis.read(buffer)) >= 0) {
				length += n;
			}
		}
		return new Digest(HexFormat.of().formatHex(md.digest()), length);
	}

	private static MessageDigest newDigest() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** A stream's hex SHA-256 and length. */
	public record Digest(String sha256, long length) {
	}

}
