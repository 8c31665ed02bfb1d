package io.github.litestreamspring.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PlaceholdersResolver;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.PropertiesPropertySourceLoader;
import org.springframework.boot.env.PropertySourceLoader;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.FileSystemResource;

import io.github.litestreamspring.autoconfigure.DatabasePaths;
import io.github.litestreamspring.autoconfigure.LitestreamProperties;

/**
 * The application's configuration as the CLI sees it: an {@code application.yml} (or
 * {@code .properties}) plus environment variables, bound with Spring Boot's own {@link Binder} so that
 * relaxed names ({@code LITESTREAM_REPLICAS_0_URL}), {@code ${...}} placeholders and type conversion
 * behave exactly as in the application. Environment variables win over the file, as in Spring Boot.
 * <p>
 * Profile-specific documents ({@code spring.config.activate.on-profile}) count only when one of their
 * profiles is active ({@code --profile}, {@code SPRING_PROFILES_ACTIVE} or {@code spring.profiles.active});
 * later documents win over earlier ones.
 */
final class CliConfiguration {

	private static final String ON_PROFILE = "spring.config.activate.on-profile";

	private final Binder binder;

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
	 */
	static CliConfiguration load(Path file, Map<String, String> env, List<String> profiles,
			boolean expandPlaceholders) {
		PropertySource<?> environment = new SystemEnvironmentPropertySource(
				StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, new LinkedHashMap<>(env));
		List<PropertySource<?>> documents = (file != null) ? read(file) : List.of();
		Set<String> active = activeProfiles(environment, documents, profiles);
		List<PropertySource<?>> sources = new ArrayList<>();
		sources.add(environment);
		List<PropertySource<?>> applicable = new ArrayList<>(documents.stream()
			.filter((d) -> d.getProperty(ON_PROFILE) == null || matches(d.getProperty(ON_PROFILE), active))
			.toList());
		Collections.reverse(applicable); // the first source that has a property wins
		sources.addAll(applicable);
		return new CliConfiguration(new Binder(ConfigurationPropertySources.from(sources),
				expandPlaceholders ? new PropertySourcesPlaceholdersResolver(sources) : PlaceholdersResolver.NONE));
	}

	/** {@code litestream.*}, with the starter's defaults where nothing is set. */
	LitestreamProperties litestream() {
		return this.binder.bind("litestream", LitestreamProperties.class).orElseGet(LitestreamProperties::new);
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

	private static List<PropertySource<?>> read(Path file) {
		if (!Files.isRegularFile(file)) {
			throw new CliException("configuration file " + file + " does not exist or is not a file");
		}
		String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
		PropertySourceLoader loader = (name.endsWith(".yml") || name.endsWith(".yaml"))
				? new YamlPropertySourceLoader() : new PropertiesPropertySourceLoader();
		try {
			return loader.load("file [" + file + "]", new FileSystemResource(file));
		}
		catch (IOException | RuntimeException ex) {
			throw new CliException("cannot read configuration file " + file + ": " + ex.getMessage(), ex);
		}
	}

	private static Set<String> activeProfiles(PropertySource<?> environment, List<PropertySource<?>> documents,
			List<String> profiles) {
		Set<String> active = new java.util.LinkedHashSet<>(profiles);
		if (!active.isEmpty()) {
			return active;
		}
		Object fromEnv = environment.getProperty("SPRING_PROFILES_ACTIVE");
		Object value = (fromEnv != null) ? fromEnv
				: documents.stream()
					.filter((d) -> d.getProperty(ON_PROFILE) == null)
					.map((d) -> d.getProperty("spring.profiles.active"))
					.filter(java.util.Objects::nonNull)
					.reduce((first, second) -> second)
					.orElse(null);
		if (value != null) {
			for (String p : value.toString().split(",")) {
				if (!p.isBlank()) {
					active.add(p.trim());
				}
			}
		}
		return active;
	}

	/** Plain names only ("prod" or "prod,eu"); Spring's profile expressions ("prod &amp; eu") are not supported. */
	private static boolean matches(Object onProfile, Set<String> active) {
		for (String p : onProfile.toString().split(",")) {
			if (active.contains(p.trim())) {
				return true;
			}
		}
		return false;
	}

}
