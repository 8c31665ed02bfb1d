package io.github.litestreamspring.engine.replica.s3;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.SdkHttpRequest;

/** Records every HTTP attempt the SDK transmits: operation name and the final, signed request. */
final class RecordingInterceptor implements ExecutionInterceptor {

	private final List<Attempt> attempts = new CopyOnWriteArrayList<>();

	@Override
	public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
		this.attempts.add(new Attempt(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME),
				context.httpRequest()));
	}

	List<Attempt> attempts() {
		return List.copyOf(this.attempts);
	}

	List<Attempt> attempts(String operation) {
		return this.attempts.stream().filter((a) -> a.operation().equals(operation)).toList();
	}

	long count(String operation) {
		return attempts(operation).size();
	}

	void clear() {
		this.attempts.clear();
	}

	/** One transmitted request. */
	record Attempt(String operation, SdkHttpRequest request) {

		String header(String name) {
			return this.request.firstMatchingHeader(name).orElse(null);
		}

	}

}
