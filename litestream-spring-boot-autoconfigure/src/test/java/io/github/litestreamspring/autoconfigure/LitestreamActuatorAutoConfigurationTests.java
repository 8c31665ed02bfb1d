package io.github.litestreamspring.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;

import javax.sql.DataSource;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.github.litestreamspring.actuate.endpoint.LitestreamEndpoint;
import io.github.litestreamspring.health.LitestreamHealthIndicator;
import io.github.litestreamspring.metrics.LitestreamMetrics;
import io.github.litestreamspring.lifecycle.LitestreamReplication;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Conditions of the optional integrations: endpoint (exposed, disabled, not exposed), health indicator,
 * metrics, missing libraries; and what they report.
 */
class LitestreamActuatorAutoConfigurationTests {

	@TempDir
	Path dir;

	private WebApplicationContextRunner runner() {
		return new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LitestreamAutoConfiguration.class, LitestreamHealthContributorAutoConfiguration.class,
					LitestreamEndpointAutoConfiguration.class, LitestreamMetricsAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica"),
					"litestream.replicas[0].sync-interval=50ms", "litestream.monitor-interval=50ms");
	}

	@Test
	void endpointIsAvailableWhenExposed() {
		runner().withPropertyValues("management.endpoints.web.exposure.include=litestream")
			.run((context) -> assertThat(context).hasSingleBean(LitestreamEndpoint.class));
	}

	@Test
	void healthAndEndpointShowWhetherWritesAreOpenPausedOrClosed() {
		runner().withPropertyValues("management.endpoints.web.exposure.include=litestream").run((context) -> {
			LitestreamHealthIndicator indicator = context.getBean(LitestreamHealthIndicator.class);
			LitestreamEndpoint endpoint = context.getBean(LitestreamEndpoint.class);
			var gate = context.getBean(LitestreamReplication.class).replicator().writeGate();
			assertThat(indicator.health(true).getDetails()).containsEntry("writes", "open");
			assertThat(endpoint.databases().toString()).contains("writes=open");
			gate.pause("a lease hand-over to pod-b");
			assertThat(indicator.health(true).getDetails()).containsEntry("writes",
					"paused: a lease hand-over to pod-b");
			gate.close("handed over to pod-b");
			Health health = indicator.health(true);
			assertThat(health.getDetails()).containsEntry("writes", "closed: handed over to pod-b");
			assertThat(endpoint.databases().toString()).contains("writes=closed: handed over to pod-b");
		});
	}

	@Test
	void endpointBacksOffWhenAccessIsNone() {
		runner()
			.withPropertyValues("management.endpoints.web.exposure.include=litestream",
					"management.endpoint.litestream.access=NONE")
			.run((context) -> assertThat(context).doesNotHaveBean(LitestreamEndpoint.class));
	}

	@Test
	void endpointBacksOffWhenNotExposed() {
		runner().run((context) -> assertThat(context).doesNotHaveBean(LitestreamEndpoint.class));
	}

	@Test
	void endpointListsGenerationsAndTakesSnapshots() {
		runner().withPropertyValues("management.endpoints.web.exposure.include=litestream").run((context) -> {
			context.start();
			write(context.getBean(DataSource.class), "INSERT INTO notes (body) VALUES ('x')");
			LitestreamEndpoint endpoint = context.getBean(LitestreamEndpoint.class);
			assertThat(endpoint.operation("sync")).containsKey("position");
			var result = endpoint.operation("snapshot");
			assertThat(result.toString()).contains(".snapshot.lz4").contains("replica=file");
			assertThat(endpoint.databases().toString()).contains("generations").contains(this.dir.toString());
		});
	}

	@Test
	void healthIndicatorIsUpWhileTheReplicaKeepsUp() {
		runner().run((context) -> {
			context.start();
			write(context.getBean(DataSource.class), "INSERT INTO notes (body) VALUES ('x')");
			context.getBean(LitestreamReplication.class).replicator().syncNow();
			Health health = context.getBean(LitestreamHealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getDetails()).containsKeys("generation", "position", "replicas");
		});
	}

	@Test
	void healthIndicatorIsDownWithTheReasonWhenTheReplicaFails() throws Exception {
		runner().run((context) -> {
			context.start();
			// The replica directory turns into a regular file: every upload fails from now on.
			org.springframework.util.FileSystemUtils.deleteRecursively(this.dir.resolve("replica"));
			Files.writeString(this.dir.resolve("replica"), "not a directory");
			write(context.getBean(DataSource.class), "INSERT INTO notes (body) VALUES ('x')");
			LitestreamHealthIndicator indicator = context.getBean(LitestreamHealthIndicator.class);
			long deadline = System.nanoTime() + 10_000_000_000L;
			Health health = indicator.health(true);
			while (health.getStatus() != Status.DOWN && System.nanoTime() < deadline) {
				Thread.sleep(50);
				health = indicator.health(true);
			}
			assertThat(health.getStatus()).isEqualTo(Status.DOWN);
			assertThat(String.valueOf(health.getDetails().get("reason"))).contains("replica 'file'");
		});
	}

	@Test
	void healthIndicatorBacksOffWhenDisabled() {
		runner().withPropertyValues("management.health.litestream.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(LitestreamHealthIndicator.class));
	}

	@Test
	void integrationsBackOffWithoutActuatorAndMicrometer() {
		runner().withUserConfiguration(MeterRegistryConfiguration.class)
			.withPropertyValues("management.endpoints.web.exposure.include=litestream")
			.withClassLoader(new FilteredClassLoader("org.springframework.boot.health",
					"org.springframework.boot.actuate", "io.micrometer"))
			.run((context) -> {
				assertThat(context).hasNotFailed().hasSingleBean(LitestreamReplication.class);
				assertThat(context).doesNotHaveBean(LitestreamHealthIndicator.class)
					.doesNotHaveBean(LitestreamEndpoint.class)
					.doesNotHaveBean(LitestreamMetrics.class);
			});
	}

	@Test
	void fileReplicaNeedsNoAwsSdk() {
		runner().withClassLoader(new FilteredClassLoader("software.amazon"))
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(LitestreamReplication.class));
	}

	@Test
	void s3ReplicaWithoutAwsSdkFailsNamingTheDependency() {
		runner().withClassLoader(new FilteredClassLoader("software.amazon"))
			.withPropertyValues("litestream.replicas[0].url=s3://bucket/app.db")
			.run((context) -> {
				assertThat(context).hasFailed();
				LitestreamConfigurationException ex = rootCause(context.getStartupFailure());
				assertThat(ex.getMessage()).contains("AWS SDK");
				assertThat(ex.getAction()).contains("spring-cloud-aws-starter-s3");
			});
	}

	@Test
	void metricsMoveWithReplication() {
		runner().withUserConfiguration(MeterRegistryConfiguration.class).run((context) -> {
			context.start();
			write(context.getBean(DataSource.class), "INSERT INTO notes (body) VALUES ('x')");
			context.getBean(LitestreamReplication.class).replicator().syncNow();
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.get("litestream.replica.wal.bytes").counter().count()).isPositive();
			assertThat(registry.get("litestream.sync").timer().count()).isPositive();
			assertThat(registry.get("litestream.snapshot").timer().count()).isEqualTo(1);
			assertThat(registry.get("litestream.storage.operations").tag("operation", "put").counter().count())
				.isGreaterThanOrEqualTo(2);
			assertThat(registry.get("litestream.replica.lag").timeGauge().value()).isZero();
			assertThat(registry.get("litestream.wal.index").gauge().value()).isGreaterThanOrEqualTo(0);
		});
	}

	@Test
	void failureAnalysisNamesTheProperty() {
		FailureAnalysis analysis = new LitestreamFailureAnalyzer()
			.analyze(new LitestreamConfigurationException("replica has no URL", "litestream.replicas[0].url",
					"Set the URL"));
		assertThat(analysis.getDescription()).contains("replica has no URL");
		assertThat(analysis.getAction()).contains("Set the URL").contains("litestream.replicas[0].url");
	}

	private static LitestreamConfigurationException rootCause(Throwable failure) {
		Throwable t = failure;
		while (t != null && !(t instanceof LitestreamConfigurationException)) {
			t = t.getCause();
		}
		assertThat(t).as("LitestreamConfigurationException in " + failure).isNotNull();
		return (LitestreamConfigurationException) t;
	}

	private static void write(DataSource dataSource, String sql) throws Exception {
		try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
			st.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)");
			st.execute(sql);
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class MeterRegistryConfiguration {

		@Bean
		SimpleMeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

	}

}
