package io.github.litestreamspring.autoconfigure;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import io.github.litestreamspring.actuate.endpoint.LitestreamEndpoint;
import io.github.litestreamspring.health.LitestreamHealthIndicator;

import static org.assertj.core.api.Assertions.assertThat;
import io.github.litestreamspring.lifecycle.LitestreamReplication;

/**
 * A replica's credentials appear nowhere an operator or a scraper can see: logs, errors, health,
 * endpoint, toString.
 */
@ExtendWith(OutputCaptureExtension.class)
class LitestreamSecretsTests {

	private static final String ACCESS_KEY = "AKIAEXAMPLEKEYID0042";

	private static final String SECRET = "wJalrXUtnFEMI-very-secret-9f8e7d";

	@TempDir
	Path dir;

	@Test
	void credentialsNeverShowInLogsHealthEndpointOrErrors(CapturedOutput output) {
		new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LitestreamAutoConfiguration.class, LitestreamHealthContributorAutoConfiguration.class,
					LitestreamEndpointAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					// Nothing listens on the discard port: every call fails and gets reported.
					"litestream.replicas[0].url=s3://bucket/app.db", "litestream.replicas[0].endpoint=http://127.0.0.1:9",
					"litestream.replicas[0].access-key-id=" + ACCESS_KEY,
					"litestream.replicas[0].secret-access-key=" + SECRET, "litestream.restore.enabled=false",
					"litestream.monitor-interval=50ms", "litestream.replicas[0].sync-interval=50ms",
					"management.endpoints.web.exposure.include=litestream")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				context.start();
				// With the store unreachable no lease can be taken, so the write is refused (#14): its
				// message is one more place a secret must not show.
				String refusal = "";
				try (Connection c = context.getBean(DataSource.class).getConnection();
						Statement st = c.createStatement()) {
					st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
				}
				catch (java.sql.SQLException ex) {
					refusal = ex.getMessage();
				}
				LitestreamReplication replication = context.getBean(LitestreamReplication.class);
				long deadline = System.nanoTime() + 20_000_000_000L;
				while (replication.status().replicas().get(0).lastError() == null && System.nanoTime() < deadline) {
					Thread.sleep(50);
				}
				String error = replication.status().replicas().get(0).lastError();
				assertThat(error).as("the replica failed and said so").isNotNull().contains("s3://bucket/app.db");
				Health health = context.getBean(LitestreamHealthIndicator.class).health(true);
				String endpoint = context.getBean(LitestreamEndpoint.class).databases().toString();
				String properties = context.getBean(LitestreamProperties.class).getReplicas().get(0).toString();
				for (String seen : new String[] { error, refusal, health.toString(), endpoint, properties,
						replication.replicas().get(0).toString(), output.getAll() }) {
					assertThat(seen).doesNotContain(SECRET).doesNotContain(ACCESS_KEY);
				}
			});
	}

}
