package io.github.litestreamspring.engine.lease;

import io.github.litestreamspring.engine.LitestreamException;

/**
 * A write transaction refused by a {@link WriteGate}: either for a while ({@link #isTransient()}: the gate
 * was paused longer than its bound — retrying later may succeed) or for good (the gate is closed: this
 * instance no longer writes the database).
 */
public final class WriteRefusedException extends LitestreamException {

	private final boolean transientRefusal;

	WriteRefusedException(String message, boolean transientRefusal) {
		super(message);
		this.transientRefusal = transientRefusal;
	}

	/** Whether the refusal may pass (the gate was paused), as opposed to final (the gate is closed). */
	public boolean isTransient() {
		return this.transientRefusal;
	}

}
