package io.github.litestreamspring.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusMetricsExportAutoConfiguration;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import io.github.litestreamspring.autoconfigure.LitestreamAutoConfiguration;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.lifecycle.LitestreamVerification;
import io.github.litestreamspring.autoconfigure.LitestreamMetricsAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Grafana dashboard and the Prometheus alert rules shipped in {@code observability/} only name
 * metrics the starter exports: a context with Boot's Prometheus registry replicates (a write, a sync,
 * a snapshot, a verification, the lease on a file replica), is scraped, and every
 * {@code litestream_*} name in the two files must be among the scraped series.
 */
class LitestreamPrometheusExportTests {

	private static final Pattern METRIC_NAME = Pattern.compile("litestream_[a-z_]+");

	/** What Prometheus appends to a meter's name; a file may name the series or the family. */
	private static final String[] SUFFIXES = { "", "_total", "_seconds", "_bucket", "_count", "_sum", "_max" };

	@TempDir
	Path dir;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, LitestreamAutoConfiguration.class,
				MetricsAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
				PrometheusMetricsExportAutoConfiguration.class, ObservationAutoConfiguration.class,
				LitestreamMetricsAutoConfiguration.class));

	@Test
	void everyMetricOfTheDashboardAndTheAlertRulesIsExported() throws Exception {
		Set<String> used = new TreeSet<>();
		used.addAll(metricNames(observabilityFile("grafana-dashboard.json")));
		used.addAll(metricNames(observabilityFile("prometheus-alerts.yml")));
		assertThat(used).as("metric names in observability/").hasSizeGreaterThan(8);
		this.runner
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica"),
					"litestream.replicas[0].sync-interval=50ms", "litestream.monitor-interval=50ms",
					"litestream.backpressure.max-lag=1h", "litestream.lease.enabled=true")
			.run((context) -> {
				assertThat(context).hasNotFailed().hasSingleBean(PrometheusMeterRegistry.class);
				context.start();
				write(context.getBean(DataSource.class));
				LitestreamReplication replication = context.getBean(LitestreamReplication.class);
				replication.replicator().syncNow();
				replication.replicator().snapshotNow();
				assertThat(context.getBean(LitestreamVerification.class).verify().ok()).isTrue();
				String scrape = context.getBean(PrometheusMeterRegistry.class).scrape();
				Set<String> exported = seriesNames(scrape);
				Set<String> missing = used.stream()
					.filter((name) -> !isExported(name, exported))
					.collect(Collectors.toCollection(TreeSet::new));
				assertThat(missing).as("used in observability/ but not exported; exported: %s", exported).isEmpty();
				// The lease of the file replica is held: the 'lease not held' alert stays quiet.
				assertThat(scrape).containsPattern(
						"litestream_replica_lease\\{[^}]*state=\"held\"[^}]*\\} 1(\\.0)?\\n");
			});
	}

	private static boolean isExported(String name, Set<String> exported) {
		for (String suffix : SUFFIXES) {
			if (exported.contains(name + suffix)) {
				return true;
			}
		}
		return false;
	}

	private static Set<String> seriesNames(String scrape) {
		return scrape.lines()
			.filter((line) -> line.startsWith("litestream_"))
			.map((line) -> line.split("[{ ]", 2)[0])
			.collect(Collectors.toCollection(TreeSet::new));
	}

	static Set<String> metricNames(String text) {
		Set<String> names = new TreeSet<>();
		Matcher matcher = METRIC_NAME.matcher(text);
		while (matcher.find()) {
			names.add(matcher.group());
		}
		return names;
	}

	static String observabilityFile(String name) throws IOException {
		// Tests run in the module's directory; the files live at the repository's root.
		Path file = Path.of("").toAbsolutePath().getParent().resolve("observability").resolve(name);
		return Files.readString(file);
	}

	private static void write(DataSource dataSource) throws Exception {
		try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
			st.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)");
			st.execute("INSERT INTO notes (body) VALUES ('x')");
		}
	}

}
