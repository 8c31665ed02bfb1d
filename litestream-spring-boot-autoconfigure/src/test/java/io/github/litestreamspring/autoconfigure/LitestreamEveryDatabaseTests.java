package io.github.litestreamspring.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLTransientException;
import java.sql.Statement;

import javax.sql.DataSource;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.actuate.endpoint.CompositeHealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.FileSystemUtils;

import io.github.litestreamspring.actuate.endpoint.LitestreamEndpoint;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.testsupport.TestDatabase;
import io.github.litestreamspring.lifecycle.LitestreamDatabase;
import io.github.litestreamspring.lifecycle.LitestreamDatabases;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Every database alike: a database of {@code litestream.databases[]} gets durability waits, restore
 * verification, backpressure and a health component of its own, as the DataSource's does. Until #13 the
 * three applied to the DataSource's database only, and health was one indicator for all.
 */
class LitestreamEveryDatabaseTests {

	@TempDir
	Path dir;

	private WebApplicationContextRunner runner() {
		return new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LitestreamAutoConfiguration.class, LitestreamHealthContributorAutoConfiguration.class,
					LitestreamEndpointAutoConfiguration.class, LitestreamMetricsAutoConfiguration.class,
					HealthContributorRegistryAutoConfiguration.class, HealthEndpointAutoConfiguration.class))
			.withUserConfiguration(Pools.class)
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica-app"),
					"litestream.databases[0].path=" + this.dir.resolve("events.db"),
					"litestream.databases[0].replicas[0].url=file://" + this.dir.resolve("replica-events"),
					"litestream.monitor-interval=50ms", "litestream.replicas[0].sync-interval=50ms",
					"litestream.databases[0].replicas[0].sync-interval=1h", "litestream.lease.enabled=false",
					"management.endpoints.web.exposure.include=litestream,health",
					"management.endpoint.health.show-details=always");
	}

	@Test
	void aFurtherDatabasesCommitsCanBeAwaitedUntilEveryReplicaHasThem() {
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			context.start();
			LitestreamDatabase events = context.getBean(LitestreamDatabases.class).get("events.db").orElseThrow();
			try (TestDatabase db = new TestDatabase(this.dir.resolve("events.db"))) {
				db.insertBatch(1, 5, 50);
			}
			// The replica syncs hourly: only the durability wait ships the commits now.
			Pos durable = events.durability().awaitDurable();
			assertThat(durable.offset()).isPositive();
			assertThat(events.replication().status().replicas().get(0).position()).isEqualTo(durable);
		});
	}

	@Test
	void verifyChecksAFurtherDatabaseToo() {
		runner().run((context) -> {
			context.start();
			try (TestDatabase db = new TestDatabase(this.dir.resolve("events.db"))) {
				db.insertBatch(1, 5, 50);
			}
			context.getBean(LitestreamEndpoint.class).operation("sync");
			context.getBean(LitestreamEndpoint.class).operation("verify");
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.get("litestream.verification")
				.tags("database", "events.db", "result", "ok")
				.counter()
				.count()).isEqualTo(1.0);
			assertThat(context.getBean(LitestreamDatabases.class).get("events.db").orElseThrow().verification().last())
				.isNotNull();
		});
	}

	@Test
	void backpressureHoldsAFurtherDatabasesWritesToItsOwnReplicas() throws Exception {
		runner().withPropertyValues("litestream.backpressure.max-lag-bytes=1", "litestream.backpressure.policy=fail",
				"litestream.databases[0].replicas[0].sync-interval=50ms")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				context.start();
				DataSource events = context.getBean("eventsDataSource", DataSource.class);
				try (Connection c = events.getConnection(); Statement st = c.createStatement()) {
					st.execute("CREATE TABLE e (body TEXT)");
				}
				breakReplica("replica-events");
				try (Connection c = events.getConnection(); Statement st = c.createStatement()) {
					long deadline = System.nanoTime() + 10_000_000_000L;
					assertThatExceptionOfType(SQLTransientException.class).isThrownBy(() -> {
						for (int i = 0; i < 500 && System.nanoTime() < deadline; i++) {
							st.execute("INSERT INTO e VALUES ('" + i + "')");
							Thread.sleep(20);
						}
					}).withMessageContaining("litestream.backpressure.policy=fail");
				}
			});
	}

	@Test
	void eachDatabaseIsAHealthComponentOfItsOwn() throws Exception {
		runner().withPropertyValues("litestream.databases[0].replicas[0].sync-interval=50ms").run((context) -> {
			assertThat(context).hasNotFailed();
			context.start();
			breakReplica("replica-events");
			try (TestDatabase db = new TestDatabase(this.dir.resolve("events.db"))) {
				db.insertBatch(1, 3, 50);
			}
			HealthEndpoint health = context.getBean(HealthEndpoint.class);
			long deadline = System.nanoTime() + 10_000_000_000L;
			while (!Status.DOWN.equals(health.healthForPath("litestream", "events.db").getStatus())
					&& System.nanoTime() < deadline) {
				Thread.sleep(50);
			}
			assertThat(health.healthForPath("litestream", "events.db").getStatus()).isEqualTo(Status.DOWN);
			assertThat(health.healthForPath("litestream", "app.db").getStatus()).isEqualTo(Status.UP);
			HealthDescriptor aggregate = health.healthForPath("litestream");
			assertThat(aggregate.getStatus()).isEqualTo(Status.DOWN);
			assertThat(aggregate).isInstanceOf(CompositeHealthDescriptor.class);
			assertThat(((CompositeHealthDescriptor) aggregate).getComponents()).containsOnlyKeys("app.db", "events.db");
		});
	}

	private void breakReplica(String name) throws Exception {
		FileSystemUtils.deleteRecursively(this.dir.resolve(name));
		Files.writeString(this.dir.resolve(name), "not a directory");
	}

	@Configuration(proxyBeanMethods = false)
	static class Pools {

		@Bean
		@org.springframework.context.annotation.Primary
		com.zaxxer.hikari.HikariDataSource dataSource(org.springframework.core.env.Environment environment) {
			com.zaxxer.hikari.HikariDataSource ds = new com.zaxxer.hikari.HikariDataSource();
			ds.setJdbcUrl(environment.getProperty("spring.datasource.url"));
			return ds;
		}

		@Bean
		com.zaxxer.hikari.HikariDataSource eventsDataSource(org.springframework.core.env.Environment environment) {
			com.zaxxer.hikari.HikariDataSource ds = new com.zaxxer.hikari.HikariDataSource();
			ds.setJdbcUrl("jdbc:sqlite:" + environment.getProperty("litestream.databases[0].path"));
			return ds;
		}

		@Bean
		SimpleMeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

	}

}
