package io.github.litestreamspring.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.bootstrap.DefaultBootstrapContext;
import org.springframework.boot.context.config.ConfigDataException;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PlaceholdersResolver;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.logging.DeferredLogs;
import org.springframework.boot.support.EnvironmentPostProcessorsFactory;
import org.springframework.core.annotation.AnnotationAwareOrderComparator;
import org.springframework.core.env.CommandLinePropertySource;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import io.github.litestreamspring.autoconfigure.DatabasePaths;
import io.github.litestreamspring.autoconfigure.LitestreamProperties;

/**
 * The application's configuration as the CLI sees it, loaded by Spring Boot itself: an environment
 * with the process's environment variables and system properties, {@code -config} as
 * {@code spring.config.location} and {@code -profile} as {@code spring.profiles.active} (both as if given
 * on the application's command line), then Boot's own environment post-processors from
 * {@code spring.factories} — config data (profiles, {@code application-{profile}.yml}, profile
 * expressions, {@code spring.config.import} incl. {@code configtree:}), {@code SPRING_APPLICATION_JSON},
 * {@code random.*} — exactly as {@code SpringApplication} runs them while it prepares its environment.
 * No application context is created. {@code litestream.*} is bound with Boot's {@link Binder} into the
 * starter's {@link LitestreamProperties}.
 */
final class CliConfiguration {

	private final Binder binder;

	/** {@code litestream.*}, bound on first use (a command asks for it several times). */
	private LitestreamProperties litestream;

	private CliConfiguration(Binder binder) {
		this.binder = binder;
	}

	/** Loads {@code file} (may be {@code null}: environment only) with the given environment variables. */
	static CliConfiguration load(Path file, Map<String, String> env, List<String> profiles) {
		return load(file, env, profiles, true);
	}

	/**
	 * As {@link #load(Path, Map, List)}; without {@code expandPlaceholders} (Litestream's
	 * {@code -no-expand-env}) {@code ${...}} stays as written.
	 * @param file the application's configuration file, or a directory holding {@code application.yml}
	 * and its profile variants
	 */
	static CliConfiguration load(Path file, Map<String, String> env, List<String> profiles,
			boolean expandPlaceholders) {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources()
			.replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
					new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
							new LinkedHashMap<>(env)));
		Map<String, Object> commandLine = new LinkedHashMap<>();
		if (!profiles.isEmpty()) {
			commandLine.put("spring.profiles.active", String.join(",", profiles));
		}
		if (file != null) {
			commandLine.put("spring.config.location", location(file));
		}
		environment.getPropertySources()
			.addFirst(new MapPropertySource(CommandLinePropertySource.COMMAND_LINE_PROPERTY_SOURCE_NAME, commandLine));
		ConfigurationPropertySources.attach(environment);
		if (file != null) {
			// Without a file (a bare REPLICA_URL) nothing is read but the environment.
			postProcess(environment, file);
		}
		return new CliConfiguration(expandPlaceholders ? Binder.get(environment)
				: new Binder(ConfigurationPropertySources.get(environment), PlaceholdersResolver.NONE));
	}

	/** {@code litestream.*}, with the starter's defaults where nothing is set. */
	LitestreamProperties litestream() {
		if (this.litestream == null) {
			this.litestream = bindLitestream();
		}
		return this.litestream;
	}

	private LitestreamProperties bindLitestream() {
		try {
			return this.binder.bind("litestream", LitestreamProperties.class).orElseGet(LitestreamProperties::new);
		}
		catch (BindException ex) {
			throw new CliException("invalid configuration '" + ex.getName() + "': "
					+ ((ex.getCause() != null) ? ex.getCause().getMessage() : ex.getMessage()), ex);
		}
	}

	/** The database file: {@code litestream.path}, else the file behind {@code spring.datasource.url}. */
	Optional<Path> databasePath() {
		Path path = litestream().getPath();
		if (path != null) {
			return Optional.of(path.toAbsolutePath());
		}
		return string("spring.datasource.url").map(DatabasePaths::fromJdbcUrl);
	}

	Optional<String> string(String name) {
		return Optional.ofNullable(this.binder.bind(name, String.class).orElse(null)).filter((s) -> !s.isBlank());
	}

	Optional<Boolean> bool(String name) {
		return Optional.ofNullable(this.binder.bind(name, Boolean.class).orElse(null));
	}

	/** A file as itself; a directory as Boot's default search there ({@code application.yml} and friends). */
	private static String location(Path file) {
		if (Files.isDirectory(file)) {
			return "file:" + file.toAbsolutePath() + "/";
		}
		if (!Files.isRegularFile(file)) {
			throw new CliException("configuration file " + file + " does not exist or is not a file");
		}
		return "file:" + file.toAbsolutePath();
	}

	/** What SpringApplication does while preparing its environment, without the context that follows. */
	private static void postProcess(StandardEnvironment environment, Path file) {
		SpringApplication application = new SpringApplication();
		List<EnvironmentPostProcessor> postProcessors = EnvironmentPostProcessorsFactory
			.fromSpringFactories(CliConfiguration.class.getClassLoader())
			.getEnvironmentPostProcessors(new DeferredLogs(), new DefaultBootstrapContext());
		AnnotationAwareOrderComparator.sort(postProcessors);
		try {
			for (EnvironmentPostProcessor postProcessor : postProcessors) {
				postProcessor.postProcessEnvironment(environment, application);
			}
		}
		catch (ConfigDataException | IllegalStateException | IllegalArgumentException ex) {
			throw new CliException("cannot read configuration " + file + ": " + ex.getMessage(), ex);
		}
	}

}
