package io.github.litestreamspring.autoconfigure;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;

import javax.sql.DataSource;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.github.litestreamspring.actuate.endpoint.LitestreamEndpoint;
import io.github.litestreamspring.health.LitestreamHealthIndicator;
import io.github.litestreamspring.engine.verify.VerificationResult;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;

import static org.assertj.core.api.Assertions.assertThat;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.lifecycle.LitestreamVerification;

/**
 * Restore verification through Spring: on demand through the endpoint, on a schedule, and what health
 * and metrics report for a passing and a failing verification.
 */
class LitestreamVerificationTests {

	@TempDir
	Path dir;

	private WebApplicationContextRunner runner() {
		return new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LitestreamAutoConfiguration.class, LitestreamHealthContributorAutoConfiguration.class,
					LitestreamEndpointAutoConfiguration.class, LitestreamMetricsAutoConfiguration.class))
			.withUserConfiguration(MeterRegistryConfiguration.class)
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica"),
					"litestream.replicas[0].sync-interval=50ms", "litestream.monitor-interval=50ms",
					"management.endpoints.web.exposure.include=litestream");
	}

	@Test
	void endpointVerifiesOnDemandAndHealthAndMetricsReportIt() {
		runner().run((context) -> {
			context.start();
			write(context.getBean(DataSource.class), 20);
			LitestreamEndpoint endpoint = context.getBean(LitestreamEndpoint.class);
			Map<String, Object> result = endpoint.operation("verify");
			assertThat(result).containsEntry("ok", true);
			assertThat((Long) result.get("restoreDurationMillis")).isGreaterThanOrEqualTo(0);
			assertThat(String.valueOf(result.get("message"))).contains("match the live database");
			assertThat(endpoint.databases().toString()).contains("verification=").contains("ok=true");

			Health health = context.getBean(LitestreamHealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getDetails()).containsKey("verification");

			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.get("litestream.verification").tag("result", "ok").counter().count()).isEqualTo(1);
			assertThat(registry.get("litestream.verification").tag("result", "failed").counter().count()).isZero();
			VerificationResult last = context.getBean(LitestreamVerification.class).last();
			assertThat(last.restoreDuration()).isPositive();
			assertThat(registry.get("litestream.verification.rto").timeGauge().value(java.util.concurrent.TimeUnit.NANOSECONDS))
				.isEqualTo((double) last.restoreDuration().toMillis() * 1_000_000);
		});
	}

	@Test
	void failedVerificationTurnsHealthDownWithTheReason() {
		runner().run((context) -> {
			context.start();
			write(context.getBean(DataSource.class), 20);
			Pos pos = context.getBean(LitestreamReplication.class).replicator().syncNow();
			new FileReplicaClient(this.dir.resolve("replica")).writeSnapshot(pos.generation(), 0,
					new ByteArrayInputStream("damaged".getBytes(StandardCharsets.US_ASCII)));
			Map<String, Object> result = context.getBean(LitestreamEndpoint.class).operation("verify");
			assertThat(result).containsEntry("ok", false);

			Health health = context.getBean(LitestreamHealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.DOWN);
			assertThat(String.valueOf(health.getDetails().get("reason"))).startsWith("last restore verification failed")
				.contains("restore failed");
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.get("litestream.verification").tag("result", "failed").counter().count()).isEqualTo(1);
		});
	}

	@Test
	void aNewerGenerationWithoutSnapshotIsReportedInHealthAndTheEndpoint() {
		runner().run((context) -> {
			context.start();
			write(context.getBean(DataSource.class), 20);
			context.getBean(LitestreamReplication.class).replicator().syncNow();
			// What a crash during another writer's first snapshot leaves: WAL, no snapshot, newest of all.
			String incomplete = "00000000000000ff";
			new FileReplicaClient(this.dir.resolve("replica")).writeWalSegment(new Pos(incomplete, 0, 0),
					new ByteArrayInputStream(new byte[] { 0x04, 0x22, 0x4d, 0x18 }));

			Map<String, Object> result = context.getBean(LitestreamEndpoint.class).operation("verify");

			assertThat(result).containsEntry("ok", true);
			assertThat(String.valueOf(result.get("warnings"))).contains("replica 'file'")
				.contains("skipped generation " + incomplete)
				.contains("no snapshot");
			Health health = context.getBean(LitestreamHealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(String.valueOf(health.getDetails().get("verification"))).contains("warnings=")
				.contains("skipped generation " + incomplete);
		});
	}

	@Test
	void verifiesOnASchedule() {
		runner().withPropertyValues("litestream.verification.interval=300ms").run((context) -> {
			context.start();
			write(context.getBean(DataSource.class), 5);
			LitestreamVerification verification = context.getBean(LitestreamVerification.class);
			long deadline = System.nanoTime() + 20_000_000_000L;
			while (verification.last() == null && System.nanoTime() < deadline) {
				Thread.sleep(50);
			}
			assertThat(verification.last()).isNotNull();
			assertThat(verification.last().ok()).as(verification.last().message()).isTrue();
		});
	}

	@Test
	void noScheduleByDefault() {
		runner().run((context) -> {
			context.start();
			LitestreamVerification verification = context.getBean(LitestreamVerification.class);
			assertThat(verification.isRunning()).isFalse();
			assertThat(verification.last()).isNull();
			assertThat(context.getBean(LitestreamEndpoint.class).databases().toString()).doesNotContain("verification=");
		});
	}

	private static void write(DataSource dataSource, int rows) throws Exception {
		try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
			st.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)");
			for (int i = 0; i < rows; i++) {
				st.execute("INSERT INTO notes (body) VALUES ('note " + i + "')");
			}
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
