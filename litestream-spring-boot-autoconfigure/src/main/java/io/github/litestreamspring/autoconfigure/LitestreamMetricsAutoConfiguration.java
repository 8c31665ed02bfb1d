package io.github.litestreamspring.autoconfigure;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import io.github.litestreamspring.jdbc.LitestreamBackpressure;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.lifecycle.LitestreamStartupRestore;
import io.github.litestreamspring.lifecycle.LitestreamVerification;
import io.github.litestreamspring.metrics.LitestreamMetrics;
import io.github.litestreamspring.metrics.LitestreamObservations;

/**
 * Micrometer meters for replication, when Micrometer and a {@link MeterRegistry} are present; replica
 * syncs, snapshots, the startup restore and verifications are observations on the application's
 * {@link ObservationRegistry} (timers, and spans when tracing is on), or timers only without one.
 */
@AutoConfiguration(after = LitestreamAutoConfiguration.class,
		afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
				"org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration" })
@ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
@ConditionalOnBean({ MeterRegistry.class, LitestreamReplication.class })
public final class LitestreamMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	LitestreamObservations litestreamObservations(MeterRegistry registry,
			ObjectProvider<ObservationRegistry> observationRegistry) {
		ObservationRegistry observations = observationRegistry.getIfUnique();
		return (observations != null) ? new LitestreamObservations(observations)
				: LitestreamObservations.timersOnly(registry);
	}

	@Bean
	@ConditionalOnMissingBean
	LitestreamMetrics litestreamMetrics(MeterRegistry registry, LitestreamReplication replication,
			LitestreamObservations observations, ObjectProvider<LitestreamStartupRestore> restore,
			ObjectProvider<LitestreamVerification> verification, ObjectProvider<LitestreamBackpressure> backpressure,
			ObjectProvider<LitestreamAdditionalDatabases> additional) {
		LitestreamMetrics metrics = new LitestreamMetrics(registry, replication, restore.getIfAvailable(),
				observations);
		replication.addListener(metrics);
		verification.ifAvailable(metrics::bindVerification);
		backpressure.ifAvailable(metrics::bindBackpressure);
		metrics.bindLagBytes();
		// Further databases get their own meters, told apart by the 'database' tag.
		additional.ifAvailable((databases) -> databases.replications().forEach((other) -> {
			LitestreamMetrics otherMetrics = new LitestreamMetrics(registry, other, null, observations);
			other.addListener(otherMetrics);
			otherMetrics.bindLagBytes();
		}));
		return metrics;
	}

}
