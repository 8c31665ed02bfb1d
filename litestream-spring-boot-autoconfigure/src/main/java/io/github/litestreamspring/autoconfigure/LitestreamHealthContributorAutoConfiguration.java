package io.github.litestreamspring.autoconfigure;

import java.util.List;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.github.litestreamspring.jdbc.LitestreamBackpressure;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.lifecycle.LitestreamVerification;
import io.github.litestreamspring.health.LitestreamHealthIndicator;

/**
 * The {@code litestream} health indicator, when Spring Boot's health support is present.
 */
@AutoConfiguration(after = LitestreamAutoConfiguration.class)
@ConditionalOnClass(name = { "org.springframework.boot.health.contributor.HealthIndicator",
		"org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator" })
public final class LitestreamHealthContributorAutoConfiguration {

	// Nested so that the health module's condition is only read once the module is known to be present.
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnBean(LitestreamReplication.class)
	@ConditionalOnEnabledHealthIndicator("litestream")
	static class HealthIndicatorConfiguration {

		@Bean(name = "litestreamHealthIndicator")
		@ConditionalOnMissingBean(name = "litestreamHealthIndicator")
		LitestreamHealthIndicator litestreamHealthIndicator(LitestreamReplication replication,
				LitestreamProperties properties, ObjectProvider<LitestreamVerification> verification,
				ObjectProvider<LitestreamBackpressure> backpressure,
				ObjectProvider<LitestreamAdditionalDatabases> additional) {
			LitestreamAdditionalDatabases databases = additional.getIfAvailable();
			List<LitestreamHealthIndicator> others = (databases != null) ? databases.replications()
				.stream()
				.map((r) -> new LitestreamHealthIndicator(r, properties.getHealth().getMaxLag()))
				.toList() : List.of();
			return new LitestreamHealthIndicator(replication, properties.getHealth().getMaxLag())
				.withVerification(verification.getIfAvailable())
				.withBackpressure(backpressure.getIfAvailable())
				.withAdditional(others);
		}

	}

}
