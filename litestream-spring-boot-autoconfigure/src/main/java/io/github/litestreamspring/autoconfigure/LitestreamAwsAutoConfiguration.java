package io.github.litestreamspring.autoconfigure;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/**
 * Keeps Spring Cloud AWS's S3 auto-configuration, which the starter brings, from failing the start-up
 * of an application that has no S3 replica and no AWS settings: its S3 beans are created when first
 * used (by an S3 replica or by the application), never at start-up for nothing. Not conditional on
 * {@code litestream.enabled}: the dependency is there either way.
 */
@AutoConfiguration(beforeName = "io.awspring.cloud.autoconfigure.s3.S3AutoConfiguration")
@ConditionalOnClass(name = "io.awspring.cloud.autoconfigure.s3.S3AutoConfiguration")
public final class LitestreamAwsAutoConfiguration {

	@Bean
	static LazySpringCloudAwsS3Beans litestreamLazySpringCloudAwsS3Beans() {
		return new LazySpringCloudAwsS3Beans();
	}

}
