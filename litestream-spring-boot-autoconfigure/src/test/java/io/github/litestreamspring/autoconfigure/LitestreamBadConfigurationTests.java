package io.github.litestreamspring.autoconfigure;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Every Litestream property set to an invalid value fails startup, and what the operator reads (the
 * failure analysis, or Spring's binding error for a value that does not even parse) names that
 * property. A bad value must never be accepted silently and misbehave later.
 */
class LitestreamBadConfigurationTests {

	@TempDir
	Path dir;

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, LitestreamAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica"));
	}

	static Stream<Arguments> invalidProperties() {
		String s3 = "litestream.replicas[0].url=s3://bucket/app.db";
		String endpoint = "litestream.replicas[0].endpoint=http://127.0.0.1:9";
		return Stream.of(
				// Durations that must not be negative (or zero where a loop would spin).
				bad("litestream.replicas[0].sync-interval", "-1s"),
				bad("litestream.replicas[0].snapshot-interval", "-1s"),
				bad("litestream.replicas[0].retention", "-1h"),
				bad("litestream.replicas[0].retention-check-interval", "-1s"),
				bad("litestream.replicas[0].max-uploads-per-second", "-1"),
				bad("litestream.monitor-interval", "-1s"), bad("litestream.monitor-interval", "0s"),
				bad("litestream.busy-timeout", "-1s"), bad("litestream.application-busy-timeout", "-1s"),
				bad("litestream.commit-window", "-1ms"), bad("litestream.durable-timeout", "-1s"),
				bad("litestream.checkpoint.interval", "-1s"), bad("litestream.verification.interval", "-1s"),
				bad("litestream.backpressure.max-lag", "-1s"), bad("litestream.backpressure.max-throttle", "-1s"),
				bad("litestream.health.max-lag", "-1s"), bad("litestream.lease.ttl", "10ms"),
				// Counts and sizes.
				bad("litestream.checkpoint.min-page-count", "0"), bad("litestream.checkpoint.max-page-count", "-1"),
				bad("litestream.checkpoint.truncate-page-count", "-1"), bad("litestream.restore.parallelism", "0"),
				bad("litestream.restore.parallelism", "-3"), bad("litestream.shadow-wal-max-size", "-1B"),
				bad("litestream.backpressure.max-lag-bytes", "-1B"),
				// Values that do not parse: Spring's binder names the property.
				bad("litestream.monitor-interval", "soon"), bad("litestream.backpressure.policy", "bogus"),
				bad("litestream.lease.on-conflict", "bogus"), bad("litestream.restore.timestamp", "yesterday"),
				bad("litestream.checkpoint.min-page-count", "many"),
				// Replica URLs and S3 settings.
				bad("litestream.replicas[0].url", "ftp://x/app.db"), bad("litestream.replicas[0].url", ""),
				bad("litestream.replicas[0].url", "file://host/relative"),
				bad("litestream.replicas[0].url", "s3:///no-bucket"),
				Arguments.of(List.of(s3, endpoint, "litestream.replicas[0].sse=bogus"), "litestream.replicas[0].sse"),
				Arguments.of(List.of(s3, endpoint, "litestream.replicas[0].part-size=1MB"),
						"litestream.replicas[0].part-size"),
				Arguments.of(List.of(s3, endpoint, "litestream.replicas[0].snapshot-download-parallelism=-1"),
						"litestream.replicas[0].snapshot-download-parallelism"),
				Arguments.of(List.of(s3, endpoint, "litestream.replicas[0].access-key-id=AKIA"),
						"litestream.replicas[0]"),
				// The database itself, and two replicas under one name.
				bad("spring.datasource.url", "jdbc:h2:mem:x"),
				Arguments.of(List.of("litestream.replicas[1].url=file:///tmp/other-replica"),
						"litestream.replicas[1].name"));
	}

	private static Arguments bad(String property, String value) {
		return Arguments.of(List.of(property + "=" + value), property);
	}

	@Test
	void theBaseConfigurationStarts() {
		runner().run((context) -> assertThat(context).hasNotFailed());
	}

	@ParameterizedTest(name = "{0} fails naming {1}")
	@MethodSource("invalidProperties")
	void anInvalidValueFailsStartupNamingTheProperty(List<String> values, String property) {
		runner().withPropertyValues(values.toArray(String[]::new)).run((context) -> {
			assertThat(context).as("started with %s", values).hasFailed();
			String told = whatTheOperatorReads(context.getStartupFailure());
			assertThat(told).as("failure for %s", values).contains(property);
		});
	}

	/**
	 * The failure analysis for a {@link LitestreamConfigurationException}, or the binder's message for
	 * a value that does not convert (Spring Boot's own analyzer prints the property from it).
	 */
	private static String whatTheOperatorReads(Throwable failure) {
		List<String> messages = new ArrayList<>();
		for (Throwable t = failure; t != null; t = t.getCause()) {
			if (t instanceof LitestreamConfigurationException litestream) {
				FailureAnalysis analysis = new LitestreamFailureAnalyzer().analyze(failure);
				assertThat(analysis).isNotNull();
				return analysis.getDescription() + "\n" + analysis.getAction();
			}
			if (t instanceof BindException bind) {
				return bind.getMessage() + " [" + bind.getProperty() + "]";
			}
			messages.add(t.toString());
		}
		return fail("neither a Litestream configuration error nor a binding error: " + messages);
	}

}
