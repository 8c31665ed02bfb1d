package io.github.litestreamspring.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a replica setting reaches {@code litestream.replicas} from the environment (a Kubernetes secret),
 * as docs/configuration.md describes it: Spring Boot binds a list from one property source, so an
 * indexed variable replaces the file's whole list, and a placeholder is the way to take one setting.
 */
class LitestreamReplicaEnvironmentTests {

	private static final Map<String, Object> APPLICATION_YML = Map.of("litestream.replicas[0].url",
			"s3://backups/app.db", "litestream.replicas[0].access-key-id", "AKIA-FROM-FILE",
			"litestream.replicas[0].secret-access-key", "${S3_SECRET:none}", "litestream.replicas[1].url",
			"file:///var/backups/app.db");

	@Test
	void aPlaceholderTakesOneReplicaSettingFromTheEnvironmentAndKeepsTheList() {
		LitestreamProperties properties = bind(Map.of("S3_SECRET", "from-secret"));
		assertThat(properties.getReplicas()).hasSize(2);
		assertThat(properties.getReplicas().get(0).getUrl()).isEqualTo("s3://backups/app.db");
		assertThat(properties.getReplicas().get(0).getSecretAccessKey()).isEqualTo("from-secret");
	}

	@Test
	void anIndexedEnvironmentVariableReplacesTheWholeListFromTheFile() {
		LitestreamProperties properties = bind(Map.of("LITESTREAM_REPLICAS_0_SECRETACCESSKEY", "from-secret"));
		assertThat(properties.getReplicas()).hasSize(1);
		assertThat(properties.getReplicas().get(0).getSecretAccessKey()).isEqualTo("from-secret");
		assertThat(properties.getReplicas().get(0).getUrl()).as("the file's URL is not merged in").isNull();
	}

	@Test
	void indexedEnvironmentVariablesWorkWhenTheyRepeatEveryPropertyOfTheList() {
		LitestreamProperties properties = bind(Map.of("LITESTREAM_REPLICAS_0_URL", "s3://backups/app.db",
				"LITESTREAM_REPLICAS_0_SECRETACCESSKEY", "from-secret", "LITESTREAM_REPLICAS_0_ACCESSKEYID",
				"AKIA-FROM-ENV"));
		assertThat(properties.getReplicas()).hasSize(1);
		assertThat(properties.getReplicas().get(0).getUrl()).isEqualTo("s3://backups/app.db");
		assertThat(properties.getReplicas().get(0).getAccessKeyId()).isEqualTo("AKIA-FROM-ENV");
	}

	private static LitestreamProperties bind(Map<String, Object> environmentVariables) {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources().remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
		environment.getPropertySources().remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
		environment.getPropertySources()
			.addLast(new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
					new LinkedHashMap<>(environmentVariables)));
		environment.getPropertySources().addLast(new MapPropertySource("application.yml", APPLICATION_YML));
		Binder binder = new Binder(ConfigurationPropertySources.get(environment),
				new PropertySourcesPlaceholdersResolver(environment));
		return binder.bindOrCreate("litestream", Bindable.of(LitestreamProperties.class));
	}

}
