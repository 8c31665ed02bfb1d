package io.github.litestreamspring.engine;

/**
 * The one unchecked exception of the engine. Messages carry context from every layer they pass
 * ("cannot restore generation 0a1b…: missing WAL segment …"), so an operator can act on them.
 */
public class LitestreamException extends RuntimeException {

	public LitestreamException(String message) {
		super(message);
	}

	public LitestreamException(String message, Throwable cause) {
		super(message, cause);
	}

}
