package io.github.litestreamspring.autoconfigure.endpoint;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import io.github.litestreamspring.autoconfigure.LitestreamAutoConfiguration;
import io.github.litestreamspring.autoconfigure.LitestreamReplication;

/**
 * The {@code litestream} actuator endpoint, when the actuator is present and the endpoint is exposed.
 */
@AutoConfiguration(after = LitestreamAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
@ConditionalOnBean(LitestreamReplication.class)
@ConditionalOnAvailableEndpoint(LitestreamEndpoint.class)
public final class LitestreamEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	LitestreamEndpoint litestreamEndpoint(LitestreamReplication replication) {
		return new LitestreamEndpoint(replication);
	}

}
