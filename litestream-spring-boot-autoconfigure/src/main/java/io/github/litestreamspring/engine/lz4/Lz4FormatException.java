package io.github.litestreamspring.engine.lz4;

import java.io.IOException;

/**
 * Thrown when a stream is not a valid LZ4 frame: bad magic or header, truncation, a corrupt block
 * or a checksum mismatch.
 */
public class Lz4FormatException extends IOException {

	private static final long serialVersionUID = 1L;

	public Lz4FormatException(String message) {
		super(message);
	}

	public Lz4FormatException(String message, Throwable cause) {
		super(message, cause);
	}

}
