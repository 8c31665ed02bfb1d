package io.github.litestreamspring.engine.wal;

import java.io.IOException;

/**
 * Thrown when bytes that should be a SQLite WAL header are not one.
 */
public class WalFormatException extends IOException {

	private static final long serialVersionUID = 1L;

	public WalFormatException(String message) {
		super(message);
	}

}
