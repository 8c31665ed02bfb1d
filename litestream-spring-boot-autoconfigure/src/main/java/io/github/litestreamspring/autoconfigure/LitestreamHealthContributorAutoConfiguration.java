package io.github.litestreamspring.autoconfigure;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.github.litestreamspring.lifecycle.LitestreamDatabases;
import io.github.litestreamspring.health.LitestreamHealthIndicator;

/**
 * The {@code litestream} health contributor (one component per database), when Spring Boot's health
 * support is present.
 */
@AutoConfiguration(after = LitestreamAutoConfiguration.class)
@ConditionalOnClass(name = { "org.springframework.boot.health.contributor.HealthIndicator",
		"org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator" })
public final class LitestreamHealthContributorAutoConfiguration {

	// Nested so that the health module's condition is only read once the module is known to be present.
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnBean(LitestreamDatabases.class)
	@ConditionalOnEnabledHealthIndicator("litestream")
	static class HealthIndicatorConfiguration {

		@Bean(name = "litestreamHealthIndicator")
		@ConditionalOnMissingBean(name = "litestreamHealthIndicator")
		LitestreamHealthIndicator litestreamHealthIndicator(LitestreamDatabases databases,
				LitestreamProperties properties) {
			return new LitestreamHealthIndicator(databases, properties.getHealth().getMaxLag());
		}

	}

}
