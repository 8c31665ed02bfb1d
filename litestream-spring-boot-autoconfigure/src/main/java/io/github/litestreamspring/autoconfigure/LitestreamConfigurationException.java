package io.github.litestreamspring.autoconfigure;

/**
 * A configuration or startup problem, with the property an operator should look at.
 */
public class LitestreamConfigurationException extends RuntimeException {

	private final String property;

	private final String action;

	public LitestreamConfigurationException(String message, String property, String action) {
		this(message, property, action, null);
	}

	public LitestreamConfigurationException(String message, String property, String action, Throwable cause) {
		super(message, cause);
		this.property = property;
		this.action = action;
	}

	/** The property to change, e.g. {@code litestream.replicas[0].url}; may be {@code null}. */
	public String getProperty() {
		return this.property;
	}

	/** What to do about it, as a sentence. */
	public String getAction() {
		return this.action;
	}

}
