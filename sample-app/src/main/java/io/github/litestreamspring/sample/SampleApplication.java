package io.github.litestreamspring.sample;

import java.nio.file.Path;

import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A small notes application whose SQLite database is replicated by the starter.
 * <p>
 * With {@code sample.embedded-s3.enabled=true} (the default) it first starts its own S3-compatible
 * endpoint and points Spring Cloud AWS at it; a real deployment sets {@code false} and configures
 * {@code spring.cloud.aws.*} for its bucket instead.
 */
@SpringBootApplication
public class SampleApplication {

	public static void main(String[] args) throws Exception {
		run(args);
	}

	static ConfigurableApplicationContext run(String... args) throws Exception {
		SpringApplication app = new SpringApplication(SampleApplication.class);
		if (Boolean.parseBoolean(setting(args, "sample.embedded-s3.enabled", "true"))) {
			Path jar = Path.of(setting(args, "sample.embedded-s3.jar", "target/s3proxy/s3proxy.jar"));
			Path data = Path.of(setting(args, "sample.data-dir", "data"));
			EmbeddedS3 s3 = EmbeddedS3.start(jar, data.resolve("s3"), "notes");
			System.setProperty("spring.cloud.aws.s3.endpoint", s3.endpoint().toString());
			System.setProperty("spring.cloud.aws.credentials.access-key", EmbeddedS3.ACCESS_KEY);
			System.setProperty("spring.cloud.aws.credentials.secret-key", EmbeddedS3.SECRET_KEY);
			app.addInitializers((context) -> {
				// Destroyed with the other singletons, i.e. after replication's final sync has run.
				DefaultListableBeanFactory beanFactory = (DefaultListableBeanFactory) context.getBeanFactory();
				beanFactory.registerSingleton("embeddedS3", s3);
				beanFactory.registerDisposableBean("embeddedS3", s3::close);
			});
			try {
				return app.run(args);
			}
			catch (RuntimeException ex) {
				s3.close();
				throw ex;
			}
		}
		return app.run(args);
	}

	/** A setting from {@code --name=value}, then system properties, then the default. */
	private static String setting(String[] args, String name, String defaultValue) {
		for (String arg : args) {
			if (arg.startsWith("--" + name + "=")) {
				return arg.substring(name.length() + 3);
			}
		}
		return System.getProperty(name, defaultValue);
	}

}
