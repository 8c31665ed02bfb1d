package io.github.litestreamspring.actuate.endpoint;

import java.nio.file.Path;
import java.time.Instant;

/**
 * An endpoint operation ({@code snapshot}, {@code verify}) was refused because the same operation is
 * already running on the database; over HTTP a 409 Conflict ({@link LitestreamEndpointWebExtension}).
 */
public class OperationInProgressException extends RuntimeException {

	private final String operation;

	private final Path database;

	private final Instant startedAt;

	OperationInProgressException(String operation, Path database, Instant startedAt) {
		super("a " + operation + " of " + database + " is already running (started at " + startedAt
				+ "); wait for it to finish and call again");
		this.operation = operation;
		this.database = database;
		this.startedAt = startedAt;
	}

	public String getOperation() {
		return this.operation;
	}

	public Path getDatabase() {
		return this.database;
	}

	public Instant getStartedAt() {
		return this.startedAt;
	}

}
