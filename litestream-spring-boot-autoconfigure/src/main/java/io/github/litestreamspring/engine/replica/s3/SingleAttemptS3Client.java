package io.github.litestreamspring.engine.replica.s3;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkPlugin;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An {@code S3Client} that someone else built (the application's, with its own retry strategy) seen
 * with one attempt per call: every request gets a request-level plugin that switches the SDK's retries
 * off, so that {@link S3Retry} is the only retry layer, as for the clients the starter builds itself
 * ({@link S3ClientFactory#withoutSdkRetries}). The application's client itself is left as it is.
 * <p>
 * A JDK proxy: calls whose first argument is a request are passed on with that request's override
 * configuration extended; paginators keep it for their next pages ({@code toBuilder()} copies it).
 */
public final class SingleAttemptS3Client implements InvocationHandler {

	private static final SdkPlugin NO_SDK_RETRIES = (config) -> config
		.overrideConfiguration(config.overrideConfiguration().toBuilder().retryStrategy(AwsRetryStrategy.doNotRetry()).build());

	private final S3Client delegate;

	private SingleAttemptS3Client(S3Client delegate) {
		this.delegate = delegate;
	}

	/** {@code client} with the SDK's retries off for every request made through the result. */
	public static S3Client wrap(S3Client client) {
		if (Proxy.isProxyClass(client.getClass()) && Proxy.getInvocationHandler(client) instanceof SingleAttemptS3Client) {
			return client;
		}
		return (S3Client) Proxy.newProxyInstance(S3Client.class.getClassLoader(), new Class<?>[] { S3Client.class },
				new SingleAttemptS3Client(client));
	}

	@Override
	public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
		if (args != null && args.length > 0 && args[0] instanceof AwsRequest request) {
			args[0] = withoutSdkRetries(request);
		}
		try {
			return method.invoke(this.delegate, args);
		}
		catch (InvocationTargetException ex) {
			throw ex.getCause();
		}
	}

	static AwsRequest withoutSdkRetries(AwsRequest request) {
		AwsRequestOverrideConfiguration.Builder override = request.overrideConfiguration()
			.map(AwsRequestOverrideConfiguration::toBuilder)
			.orElseGet(AwsRequestOverrideConfiguration::builder);
		return request.toBuilder().overrideConfiguration(override.addPlugin(NO_SDK_RETRIES).build()).build();
	}

}
