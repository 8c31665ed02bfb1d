package io.github.litestreamspring.autoconfigure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.awspring.cloud.autoconfigure.core.AwsAutoConfiguration;
import io.awspring.cloud.autoconfigure.core.CredentialsProviderAutoConfiguration;
import io.awspring.cloud.autoconfigure.core.RegionProviderAutoConfiguration;
import io.awspring.cloud.autoconfigure.s3.S3AutoConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import io.github.litestreamspring.lifecycle.LitestreamReplication;

/**
 * The starter brings Spring Cloud AWS's S3 auto-configuration; an application whose replicas are all
 * {@code file://} must start without any AWS setting, and one whose S3 replica lacks a region must be
 * told which property to set. The AWS SDK's region chain is cut off from this machine's settings: an
 * empty AWS config file, no instance metadata, no {@code aws.region}; the test is skipped when the
 * environment itself names a region.
 */
class LitestreamWithoutAwsSettingsTests {

	private static final String[] AWS_PROPERTIES = { "aws.region", "aws.configFile", "aws.sharedCredentialsFile",
			"aws.disableEc2Metadata" };

	private static final Map<String, String> saved = new HashMap<>();

	@TempDir
	static Path awsHome;

	@TempDir
	Path dir;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AwsAutoConfiguration.class, CredentialsProviderAutoConfiguration.class,
				RegionProviderAutoConfiguration.class, S3AutoConfiguration.class, DataSourceAutoConfiguration.class,
				LitestreamAwsAutoConfiguration.class, LitestreamAutoConfiguration.class));

	@BeforeAll
	static void noRegionFromThisMachine() throws IOException {
		assumeTrue(System.getenv("AWS_REGION") == null && System.getenv("AWS_DEFAULT_REGION") == null
				&& System.getenv("AWS_PROFILE") == null, "the environment names an AWS region");
		for (String key : AWS_PROPERTIES) {
			saved.put(key, System.getProperty(key));
		}
		Path empty = Files.createFile(awsHome.resolve("empty"));
		System.clearProperty("aws.region");
		System.setProperty("aws.configFile", empty.toString());
		System.setProperty("aws.sharedCredentialsFile", empty.toString());
		System.setProperty("aws.disableEc2Metadata", "true");
	}

	@AfterAll
	static void restoreProperties() {
		saved.forEach((key, value) -> {
			if (value == null) {
				System.clearProperty(key);
			}
			else {
				System.setProperty(key, value);
			}
		});
	}

	private ApplicationContextRunner withReplica(String url) {
		return this.runner.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
				"litestream.replicas[0].url=" + url);
	}

	@Test
	void startsWithFileReplicasOnlyAndNoAwsSettings() {
		withReplica("file://" + this.dir.resolve("replica")).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).hasSingleBean(LitestreamReplication.class);
		});
	}

	@Test
	void startsWithFileReplicasWhenLitestreamIsDisabled() {
		withReplica("file://" + this.dir.resolve("replica")).withPropertyValues("litestream.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void s3ReplicaWithoutRegionFailsNamingTheRegionProperty() {
		withReplica("s3://bucket/db").run((context) -> {
			assertThat(context).hasFailed();
			Throwable failure = context.getStartupFailure();
			while (failure != null && !(failure instanceof LitestreamConfigurationException)) {
				failure = failure.getCause();
			}
			assertThat(failure).isInstanceOf(LitestreamConfigurationException.class)
				.hasMessageContaining("region")
				.hasMessageContaining("s3://bucket/db");
			LitestreamConfigurationException ex = (LitestreamConfigurationException) failure;
			assertThat(ex.getProperty()).isEqualTo("spring.cloud.aws.region.static");
			assertThat(ex.getAction()).contains("spring.cloud.aws.region.static")
				.contains("litestream.replicas[0].region");
		});
	}

	@Test
	void theS3ClientBeanIsStillSpringCloudAwsOneWhenTheApplicationAsksForIt() {
		withReplica("file://" + this.dir.resolve("replica"))
			.withPropertyValues("spring.cloud.aws.region.static=eu-west-1")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(S3Client.class).serviceClientConfiguration().region())
					.isEqualTo(Region.EU_WEST_1);
			});
	}

	@Test
	void applicationThatInjectsTheS3ClientStillGetsSpringCloudAwsBehaviour() {
		withReplica("file://" + this.dir.resolve("replica")).withBean(S3User.class).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("Unable to load region");
		});
	}

	static final class S3User {

		S3User(S3Client s3) {
		}

	}

}
