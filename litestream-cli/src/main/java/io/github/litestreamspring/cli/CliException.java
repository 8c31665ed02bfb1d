package io.github.litestreamspring.cli;

/**
 * A failure the operator can act on, reported as one line on stderr with exit code 1 (no stack trace).
 */
class CliException extends RuntimeException {

	CliException(String message) {
		super(message);
	}

	CliException(String message, Throwable cause) {
		super(message, cause);
	}

}
