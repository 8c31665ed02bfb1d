package io.github.litestreamspring.autoconfigure;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Finds the SQLite database file behind a JDBC URL ({@code jdbc:sqlite:/data/app.db?...},
 * {@code jdbc:sqlite:file:/data/app.db}), refusing in-memory and non-SQLite URLs with a message an
 * operator can act on. Public for the command-line tool, which finds the database the same way.
 */
public final class DatabasePaths {

	private DatabasePaths() {
	}

	public static Path fromJdbcUrl(String url) {
		if (url == null || url.isBlank()) {
			throw new LitestreamConfigurationException("no database path is configured",
					"litestream.path", "Set 'litestream.path' to the SQLite database file, or set "
							+ "'spring.datasource.url' to a jdbc:sqlite: URL of a file");
		}
		if (!url.regionMatches(true, 0, "jdbc:sqlite:", 0, "jdbc:sqlite:".length())) {
			throw new LitestreamConfigurationException("'spring.datasource.url' is not a SQLite URL (" + redact(url)
					+ "); Litestream replicates SQLite databases only", "spring.datasource.url",
					"Use a jdbc:sqlite: URL, set 'litestream.path', or disable replication with "
							+ "'litestream.enabled=false'");
		}
		String rest = url.substring("jdbc:sqlite:".length());
		int query = rest.indexOf('?');
		String params = (query >= 0) ? rest.substring(query + 1).toLowerCase(Locale.ROOT) : "";
		String file = (query >= 0) ? rest.substring(0, query) : rest;
		if (file.startsWith("file:")) {
			file = file.substring("file:".length());
			if (file.startsWith("//")) {
				file = file.substring(2);
			}
		}
		if (file.isEmpty() || file.equals(":memory:") || file.startsWith(":memory:") || params.contains("mode=memory")
				|| file.startsWith(":resource:")) {
			throw new LitestreamConfigurationException("the SQLite database '" + redact(url)
					+ "' is in memory or a class-path resource and cannot be replicated", "spring.datasource.url",
					"Point 'spring.datasource.url' at a database file (jdbc:sqlite:/path/to/app.db) or disable "
							+ "replication with 'litestream.enabled=false'");
		}
		return Path.of(file).toAbsolutePath();
	}

	private static String redact(String url) {
		return url.replaceAll("(?i)(password|key|secret)=[^&]*", "$1=****");
	}

}
