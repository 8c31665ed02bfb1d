package io.github.litestreamspring.autoconfigure;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import javax.sql.DataSource;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.lifecycle.LitestreamDatabases;
import io.github.litestreamspring.actuate.endpoint.LitestreamEndpoint;
import io.github.litestreamspring.engine.Pos;

/**
 * A follower application in a child JVM ({@link FollowerChildJvmTests}): a Spring Boot context with
 * {@code litestream.role=follower} and the properties given as arguments, reading {@code seq(n)} through
 * its pool every 10 ms until told to promote (a file {@code promote} in the working directory), then
 * writing as the primary until told to stop (a file {@code stop}).
 * <p>
 * Protocol on standard output: {@code READY}; {@code WRITE <refused|accepted> <message>} (one write tried
 * at the start); {@code READ <epochMillis> <count> <max>} per read; {@code GAP <count> <max>} if a read saw
 * a hole; {@code PROMOTED <position>}; {@code WROTE <n>} after each row written as the primary;
 * {@code SYNCED <position>}; {@code FAILED <message>}. Bounded: exits after 120 s whatever happens.
 */
public final class FollowerChild {

	private FollowerChild() {
	}

	public static void main(String[] args) throws Exception {
		PrintStream out = System.out;
		Path control = Path.of(args[0]);
		String[] properties = java.util.Arrays.copyOfRange(args, 1, args.length);
		long end = System.nanoTime() + 120_000_000_000L;
		SpringApplication application = new SpringApplication(App.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setDefaultProperties(toMap(properties));
		try (ConfigurableApplicationContext context = application.run()) {
			DataSource dataSource = context.getBean(DataSource.class);
			LitestreamReplication replication = context.getBean(LitestreamReplication.class);
			out.println("READY");
			out.flush();
			try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
				st.executeUpdate("INSERT INTO seq (n) VALUES (-1)");
				out.println("WRITE accepted");
			}
			catch (SQLException ex) {
				out.println("WRITE refused " + ex.getMessage());
			}
			out.flush();
			while (!Files.exists(control.resolve("promote")) && System.nanoTime() < end) {
				long[] seen = read(dataSource);
				out.println("READ " + System.currentTimeMillis() + " " + seen[0] + " " + seen[1]);
				if (seen[0] != seen[1]) {
					out.println("GAP " + seen[0] + " " + seen[1]);
				}
				out.flush();
				Thread.sleep(10);
			}
			Map<String, Object> promoted = new LitestreamEndpoint(context.getBean(LitestreamDatabases.class))
				.operation("promote");
			out.println("PROMOTED " + promoted);
			out.flush();
			long next = read(dataSource)[1] + 1;
			for (int i = 0; i < 10; i++, next++) {
				try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
					st.executeUpdate("INSERT INTO seq (n) VALUES (" + next + ")");
				}
				out.println("WROTE " + next);
				out.flush();
			}
			Pos synced = replication.replicator().syncNow();
			out.println("SYNCED " + synced);
			out.flush();
			while (!Files.exists(control.resolve("stop")) && System.nanoTime() < end) {
				Thread.sleep(20);
			}
		}
		catch (Exception ex) {
			out.println("FAILED " + ex);
			out.flush();
			ex.printStackTrace();
			System.exit(2);
		}
		System.exit(0);
	}

	private static long[] read(DataSource dataSource) throws SQLException {
		try (Connection c = dataSource.getConnection();
				Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("SELECT COUNT(*), COALESCE(MAX(n), 0) FROM seq")) {
			rs.next();
			return new long[] { rs.getLong(1), rs.getLong(2) };
		}
	}

	private static Map<String, Object> toMap(String[] properties) {
		Map<String, Object> map = new java.util.LinkedHashMap<>();
		for (String p : properties) {
			int eq = p.indexOf('=');
			map.put(p.substring(0, eq), p.substring(eq + 1));
		}
		return map;
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ DataSourceAutoConfiguration.class, ApplicationAvailabilityAutoConfiguration.class,
			LitestreamAutoConfiguration.class })
	static class App {

	}

}
