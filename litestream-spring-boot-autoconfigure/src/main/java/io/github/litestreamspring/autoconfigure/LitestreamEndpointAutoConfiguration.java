package io.github.litestreamspring.autoconfigure;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.endpoint.expose.EndpointExposure;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.github.litestreamspring.lifecycle.LitestreamDatabases;
import io.github.litestreamspring.actuate.endpoint.LitestreamEndpoint;
import io.github.litestreamspring.actuate.endpoint.LitestreamEndpointWebExtension;

/**
 * The {@code litestream} actuator endpoint, when the actuator is present and the endpoint is exposed.
 */
@AutoConfiguration(after = LitestreamAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint")
public final class LitestreamEndpointAutoConfiguration {

	// Nested so that the actuator's condition is only read once the actuator is known to be present.
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnBean(LitestreamDatabases.class)
	@ConditionalOnAvailableEndpoint(LitestreamEndpoint.class)
	static class EndpointConfiguration {

		@Bean
		@ConditionalOnMissingBean
		LitestreamEndpoint litestreamEndpoint(LitestreamDatabases databases) {
			return new LitestreamEndpoint(databases);
		}

		@Bean
		@ConditionalOnMissingBean
		@ConditionalOnAvailableEndpoint(endpoint = LitestreamEndpoint.class, exposure = EndpointExposure.WEB)
		LitestreamEndpointWebExtension litestreamEndpointWebExtension(LitestreamEndpoint endpoint) {
			return new LitestreamEndpointWebExtension(endpoint);
		}

	}

}
