package io.github.litestreamspring.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.db.SqliteVersion;

/**
 * Refuses to start replication on a SQLite library with the WAL-reset bug ({@link SqliteVersion}).
 * <p>
 * The version is read from the sqlite-jdbc driver actually on the class path: an application whose
 * dependency management pins an older driver (Spring Boot 4.0's does, 3.50.3.0) gets that one, not the
 * version this starter declares. The fix names the version this starter was built with, filled in from
 * the build into {@value #BUILD_VERSIONS}.
 */
public final class SqliteVersionGuard {

	static final String ACCEPT_PROPERTY = "litestream.sqlite.accept-wal-reset-bug";

	/** Written by Maven resource filtering from {@code ${sqlite-jdbc.version}}. */
	public static final String BUILD_VERSIONS = "sqlite-jdbc.properties";

	private static final Logger logger = LoggerFactory.getLogger(SqliteVersionGuard.class);

	private SqliteVersionGuard() {
	}

	/**
	 * @throws LitestreamConfigurationException if the driver's SQLite has the bug and the risk is not accepted
	 */
	public static void check(LitestreamProperties.Sqlite properties) {
		check(SqliteVersion.ofDriver(), properties.isAcceptWalResetBug());
	}

	public static void check(SqliteVersion version, boolean acceptWalResetBug) {
		if (!version.hasWalResetBug()) {
			return;
		}
		String problem = "SQLite " + version + " (the sqlite-jdbc driver on the class path) has the WAL-reset bug "
				+ "(3.7.0 to 3.51.2, https://sqlite.org/wal.html#walresetbug): the engine's checkpoint resetting "
				+ "the WAL next to the application's writers can corrupt the database";
		if (acceptWalResetBug) {
			logger.warn("{}; starting anyway because {}=true", problem, ACCEPT_PROPERTY);
			return;
		}
		throw new LitestreamConfigurationException(problem, null, action(recommendedDriverVersion()));
	}

	static String action(String driverVersion) {
		return "Use sqlite-jdbc " + driverVersion + " (the version this starter is built with). Maven: add "
				+ "<sqlite-jdbc.version>" + driverVersion + "</sqlite-jdbc.version> to <properties>. "
				+ "Gradle with the io.spring.dependency-management plugin: ext['sqlite-jdbc.version'] = '"
				+ driverVersion + "'; with Gradle's platform(): implementation 'org.xerial:sqlite-jdbc:" + driverVersion
				+ "'. To run on the old version anyway, set " + ACCEPT_PROPERTY + "=true.";
	}

	/** The sqlite-jdbc version this starter was built with. */
	public static String recommendedDriverVersion() {
		try (InputStream in = SqliteVersionGuard.class.getResourceAsStream(BUILD_VERSIONS)) {
			if (in == null) {
				throw new IllegalStateException(BUILD_VERSIONS + " is missing from the starter's jar");
			}
			Properties properties = new Properties();
			properties.load(in);
			return properties.getProperty("version");
		}
		catch (IOException ex) {
			throw new UncheckedIOException("cannot read " + BUILD_VERSIONS, ex);
		}
	}

}
