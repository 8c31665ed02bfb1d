package io.github.litestreamspring.actuate.endpoint;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;

/**
 * The web face of {@link LitestreamEndpoint}'s write operations: a {@code snapshot} or {@code verify}
 * that finds the same operation running on a database answers 409 Conflict with the running one's start
 * time, instead of starting a second upload or download.
 */
@EndpointWebExtension(endpoint = LitestreamEndpoint.class)
public class LitestreamEndpointWebExtension {

	/** 409 Conflict ({@link WebEndpointResponse} has no constant for it). */
	static final int STATUS_CONFLICT = 409;

	private final LitestreamEndpoint endpoint;

	public LitestreamEndpointWebExtension(LitestreamEndpoint endpoint) {
		this.endpoint = endpoint;
	}

	@WriteOperation
	public WebEndpointResponse<Map<String, Object>> operation(@Selector String operation) {
		try {
			return new WebEndpointResponse<>(this.endpoint.operation(operation));
		}
		catch (OperationInProgressException ex) {
			Map<String, Object> body = new LinkedHashMap<>();
			body.put("error", ex.getMessage());
			body.put("operation", ex.getOperation());
			body.put("database", ex.getDatabase().toString());
			body.put("startedAt", ex.getStartedAt());
			return new WebEndpointResponse<>(body, STATUS_CONFLICT);
		}
	}

}
