package io.github.litestreamspring.bootmanaged;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import io.github.litestreamspring.autoconfigure.LitestreamConfigurationException;
import io.github.litestreamspring.engine.db.SqliteVersion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The starter's SQLite version check in an application on Spring Boot's dependency management, whose
 * sqlite-jdbc is Boot's managed version (3.50.3.0 in Boot 4.0), not the one the starter declares.
 */
@ExtendWith(OutputCaptureExtension.class)
class SqliteVersionGuardTests {

	@TempDir
	Path dir;

	@Test
	void startUpFailsWithTheFixWhileBootsManagedDriverHasTheWalResetBug(CapturedOutput output) throws Exception {
		SqliteVersion driver = SqliteVersion.ofDriver();
		if (!driver.hasWalResetBug()) {
			// Boot moved to a fixed SQLite: the application simply starts.
			try (ConfigurableApplicationContext context = start()) {
				assertThat(context.isRunning()).isTrue();
			}
			return;
		}
		Throwable failure = catchThrowable(this::start);
		assertThat(failure).hasRootCauseInstanceOf(LitestreamConfigurationException.class);
		String fixed = RootPom.read().property("sqlite-jdbc.version");
		assertThat(output).contains("APPLICATION FAILED TO START",
				"Litestream replication could not start: SQLite " + driver
						+ " (the sqlite-jdbc driver on the class path) has the WAL-reset bug",
				"<sqlite-jdbc.version>" + fixed + "</sqlite-jdbc.version>",
				"ext['sqlite-jdbc.version'] = '" + fixed + "'", "litestream.sqlite.accept-wal-reset-bug=true");
	}

	@Test
	void acceptingTheRiskStartsReplicationWithAWarning(CapturedOutput output) throws Exception {
		SqliteVersion driver = SqliteVersion.ofDriver();
		assumeThat(driver.hasWalResetBug()).as("Boot's managed SQLite still has the bug").isTrue();
		try (ConfigurableApplicationContext context = start("litestream.sqlite.accept-wal-reset-bug=true")) {
			try (Connection c = context.getBean(DataSource.class).getConnection(); Statement st = c.createStatement()) {
				st.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
			}
		}
		assertThat(output).contains("SQLite " + driver, "starting anyway because litestream.sqlite.accept-wal-reset-bug=true");
		// The engine's own warning, for programs that embed it without Spring.
		assertThat(output).contains("Database " + this.dir.resolve("app.db") + ": SQLite " + driver);
	}

	@Test
	void disabledReplicationDoesNotCheckTheVersion() {
		try (ConfigurableApplicationContext context = start("litestream.enabled=false")) {
			assertThat(context.isRunning()).isTrue();
		}
	}

	private ConfigurableApplicationContext start(String... properties) {
		return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
			.properties("spring.main.banner-mode=off", "spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica"),
					// Spring Cloud AWS's S3 auto-configuration (brought in by the starter) needs a region.
					"spring.cloud.aws.region.static=us-east-1")
			.properties(properties)
			.run();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

	}

}
