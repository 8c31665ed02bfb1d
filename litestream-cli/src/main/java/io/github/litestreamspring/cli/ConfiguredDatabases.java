package io.github.litestreamspring.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.github.litestreamspring.autoconfigure.LitestreamConfigurationException;
import io.github.litestreamspring.autoconfigure.LitestreamProperties;

/**
 * The databases of the application's configuration: the application's own ({@code litestream.path} or
 * {@code spring.datasource.url}, replicas {@code litestream.replicas}) and each of
 * {@code litestream.databases[]}. A command picks one by path (Litestream's {@code DB_PATH}) or by name
 * ({@code litestream.databases[].name}, else the file's name).
 */
final class ConfiguredDatabases {

	/**
	 * One configured database.
	 *
	 * @param name its name
	 * @param path its file (absolute, normalized), {@code null} when the configuration names none
	 * @param replicas its replicas
	 * @param property where its replicas are configured, for error messages
	 */
	record Database(String name, Path path, List<LitestreamProperties.Replica> replicas, String property) {
	}

	private final List<Database> databases;

	private ConfiguredDatabases(List<Database> databases) {
		this.databases = databases;
	}

	static ConfiguredDatabases of(CliConfiguration configuration) {
		LitestreamProperties litestream = configuration.litestream();
		List<Database> databases = new ArrayList<>();
		Path main;
		try {
			main = configuration.databasePath().map(Path::normalize).orElse(null);
		}
		catch (LitestreamConfigurationException ex) {
			main = null; // e.g. an in-memory DataSource: only litestream.databases[] can be chosen
		}
		databases.add(new Database((main != null) ? main.getFileName().toString() : null, main,
				litestream.getReplicas(), "litestream.replicas"));
		for (int i = 0; i < litestream.getDatabases().size(); i++) {
			LitestreamProperties.Database database = litestream.getDatabases().get(i);
			if (database.getPath() == null) {
				continue;
			}
			Path path = database.getPath().toAbsolutePath().normalize();
			String name = (database.getName() != null) ? database.getName() : path.getFileName().toString();
			databases.add(new Database(name, path, database.getReplicas(), "litestream.databases[" + i + "].replicas"));
		}
		return new ConfiguredDatabases(List.copyOf(databases));
	}

	/** The application's own database (its path may be unknown). */
	Database main() {
		return this.databases.get(0);
	}

	/** The database at {@code path}. */
	Database byPath(Path path) {
		Path wanted = path.toAbsolutePath().normalize();
		return this.databases.stream()
			.filter((d) -> wanted.equals(d.path()))
			.findFirst()
			.orElseThrow(() -> new CliException("database not found in config: " + wanted + " (configured: "
					+ describe(this.databases.stream().map(Database::path).filter((p) -> p != null)
						.map(Path::toString).toList()) + ")"));
	}

	/** The database named {@code name}; it must be the only one of that name. */
	Database byName(String name) {
		List<Database> named = this.databases.stream().filter((d) -> name.equals(d.name())).toList();
		if (named.size() > 1) {
			throw new CliException("two databases are named '" + name + "' (" + named.get(0).path() + ", "
					+ named.get(1).path() + "): give litestream.databases[].name a unique value, or choose by path");
		}
		return named.stream()
			.findFirst()
			.orElseThrow(() -> new CliException("no database named '" + name + "' in config (configured: "
					+ describe(this.databases.stream().map(Database::name).filter((n) -> n != null).toList())
					+ "; a database is named by litestream.databases[].name, else by its file's name)"));
	}

	private static String describe(List<String> items) {
		return items.isEmpty() ? "none" : String.join(", ", items);
	}

}
