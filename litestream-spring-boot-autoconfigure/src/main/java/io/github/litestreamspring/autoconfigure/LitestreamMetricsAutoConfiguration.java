package io.github.litestreamspring.autoconfigure;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import io.github.litestreamspring.lifecycle.LitestreamDatabases;
import io.github.litestreamspring.lifecycle.LitestreamStartupRestore;
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
@ConditionalOnBean({ MeterRegistry.class, LitestreamDatabases.class })
public final class LitestreamMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	LitestreamObservations litestreamObservations(MeterRegistry registry,
			ObjectProvider<ObservationRegistry> observationRegistry) {
		ObservationRegistry observations = observationRegistry.getIfUnique();
		return (observations != null) ? new LitestreamObservations(observations)
				: LitestreamObservations.timersOnly(registry);
	}

	/**
	 * Bound here to the application's registry as well as by Spring Boot's metrics auto-configuration
	 * (where present): binding one registry twice registers its meters once.
	 */
	@Bean
	@ConditionalOnMissingBean
	LitestreamMetrics litestreamMetrics(MeterRegistry registry, LitestreamDatabases databases,
			LitestreamObservations observations, ObjectProvider<LitestreamStartupRestore> restore) {
		LitestreamMetrics metrics = new LitestreamMetrics(databases, restore.getIfAvailable(), observations);
		metrics.bindTo(registry);
		return metrics;
	}

}
