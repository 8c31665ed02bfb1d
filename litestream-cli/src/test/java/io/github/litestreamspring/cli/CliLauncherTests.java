package io.github.litestreamspring.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The launcher of {@code target/litestream-cli/} as an operator runs it: with the class-data-sharing
 * archive the build wrote, and without a usable one (missing, from another place, corrupt), where the JVM
 * must fall back silently and restore the same database. Runs in the integration-test phase (failsafe),
 * after packaging; under surefire the distribution does not exist yet and the test is skipped.
 */
class CliLauncherTests {

	@TempDir
	Path dir;

	private Path distribution;

	private Path replica;

	private List<String> expected;

	@BeforeEach
	void replicate() throws Exception {
		String property = System.getProperty("cli.distribution");
		assumeTrue(property != null && Files.isDirectory(Path.of(property)), "the distribution is built in 'package'");
		this.distribution = Path.of(property);
		Path db = this.dir.resolve("app.db");
		this.replica = this.dir.resolve("replica");
		try (TestDatabase app = new TestDatabase(db);
				Replicator r = Replicated.replicator(db, new FileReplicaClient(this.replica))) {
			r.start();
			Replicated.write(app, r, 0, 30);
			this.expected = app.rows();
		}
	}

	@Test
	void theBuiltArchiveServesTheClassesOfARestore() throws Exception {
		assertThat(this.distribution.resolve("litestream-cli.jsa")).isRegularFile();
		Path classLog = this.dir.resolve("classes.log");

		Run run = restore(this.distribution, "with-archive", Map.of("JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog));

		assertThat(run.stderr()).doesNotContainIgnoringCase("warning");
		assertThat(TestDatabase.rows(run.output())).isEqualTo(this.expected);
		// "(top)" is the dynamic archive on top of the JDK's own: the application's classes were mapped from it.
		// ≈ 950 since the libraries load from native/ (extracting them loaded ≈ 150 more: SecureRandom, file
		// locks); of the distribution's own classes only picocli's (Java 5 bytecode) come from the jars.
		assertThat(archivedClasses(classLog)).isGreaterThan(900);
		assertThat(unarchivedApplicationClasses(classLog)).hasSizeLessThanOrEqualTo(5);
	}

	@Test
	void withoutTheArchiveTheLauncherRestoresTheSameDatabaseSilently() throws Exception {
		Path copy = copyOfDistribution("no-archive");
		Files.delete(copy.resolve("litestream-cli.jsa"));
		Path classLog = this.dir.resolve("classes.log");

		Run run = restore(copy, "no-archive", Map.of("JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog));
		Run off = restore(this.distribution, "cds-off", Map.of("LITESTREAM_CLI_CDS", "off"));

		assertThat(TestDatabase.rows(run.output())).isEqualTo(this.expected);
		assertThat(run.stderr()).doesNotContainIgnoringCase("warning").doesNotContain("CDS").doesNotContain("shar");
		assertThat(archivedClasses(classLog)).isZero();
		assertThat(TestDatabase.rows(off.output())).isEqualTo(this.expected);
	}

	@Test
	void anArchiveThatDoesNotMatchIsIgnoredSilently() throws Exception {
		// Moved: the archive records the jars' absolute paths, so a copy elsewhere does not match.
		Path moved = copyOfDistribution("moved");
		Path corrupt = copyOfDistribution("corrupt");
		Path archive = corrupt.resolve("litestream-cli.jsa");
		archive.toFile().setWritable(true);
		byte[] bytes = Files.readAllBytes(archive);
		for (int i = 0; i < 4096; i++) {
			bytes[i] = (byte) (i * 31);
		}
		Files.write(archive, bytes);

		for (Path distribution : List.of(moved, corrupt)) {
			Run run = restore(distribution, distribution.getFileName().toString(), Map.of());
			assertThat(TestDatabase.rows(run.output())).isEqualTo(this.expected);
			assertThat(run.stderr()).as(distribution.toString())
				.doesNotContainIgnoringCase("warning")
				.doesNotContain("CDS")
				.doesNotContain("shar");
		}
	}

	@Test
	void theLauncherLoadsSqliteAndLz4FromItsDirectoryInsteadOfExtractingThem() throws Exception {
		assertThat(this.distribution.resolve("native/platform")).isRegularFile();
		Path libraryLog = this.dir.resolve("libraries.log");
		// Where sqlite-jdbc and lz4-java would extract their libraries: made impossible.
		String noTemporaryDirectory = "-Djava.io.tmpdir=" + this.dir.resolve("no-such-directory");

		Run run = restore(this.distribution, "native",
				Map.of("JAVA_OPTS", noTemporaryDirectory + " -Xlog:library=info:file=" + libraryLog));

		assertThat(TestDatabase.rows(run.output())).isEqualTo(this.expected);
		assertThat(Files.readString(libraryLog))
			.contains("Loaded library " + this.distribution.resolve("native/libsqlitejdbc."))
			.contains("Loaded library " + this.distribution.resolve("native/liblz4-java."));
	}

	@Test
	void librariesOfAnotherPlatformOrNoneAreExtractedAsWithoutTheLauncher() throws Exception {
		Path otherPlatform = copyOfDistribution("other-platform");
		Files.writeString(otherPlatform.resolve("native/platform"), "Linux s390x musl\n");
		corrupt(otherPlatform.resolve("native/libsqlitejdbc.so"));
		Path none = copyOfDistribution("no-native");
		try (Stream<Path> files = Files.list(none.resolve("native"))) {
			for (Path file : files.toList()) {
				Files.delete(file);
			}
		}
		Files.delete(none.resolve("native"));
		Path off = copyOfDistribution("native-off");
		corrupt(off.resolve("native/libsqlitejdbc.so"));

		for (Path distribution : List.of(otherPlatform, none)) {
			Run run = restore(distribution, distribution.getFileName().toString(), Map.of());
			assertThat(TestDatabase.rows(run.output())).as(distribution.toString()).isEqualTo(this.expected);
		}
		Run run = restore(off, "native-off", Map.of("LITESTREAM_CLI_NATIVE", "off"));
		assertThat(TestDatabase.rows(run.output())).isEqualTo(this.expected);
	}

	@Test
	void createCdsArchiveMakesAnArchiveForTheLauncherWhereItIs() throws Exception {
		Path moved = copyOfDistribution("moved");
		Process create = new ProcessBuilder(moved.resolve("litestream-cli").toString(), "--create-cds-archive")
			.redirectErrorStream(true)
			.redirectOutput(this.dir.resolve("create.log").toFile())
			.start();
		assertThat(create.waitFor(120, TimeUnit.SECONDS)).isTrue();
		assertThat(create.exitValue()).as(Files.readString(this.dir.resolve("create.log"))).isZero();
		assertThat(Files.readString(this.dir.resolve("create.log"))).startsWith("wrote " + moved.resolve("litestream-cli.jsa"));
		Path classLog = this.dir.resolve("classes.log");

		Run run = restore(moved, "recreated", Map.of("JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog));

		assertThat(TestDatabase.rows(run.output())).isEqualTo(this.expected);
		// ≈ 950 since the libraries load from native/ (extracting them loaded ≈ 150 more: SecureRandom, file
		// locks); of the distribution's own classes only picocli's (Java 5 bytecode) come from the jars.
		assertThat(archivedClasses(classLog)).isGreaterThan(900);
		assertThat(unarchivedApplicationClasses(classLog)).hasSizeLessThanOrEqualTo(5);
	}

	private record Run(Path output, String stderr) {
	}

	private static void corrupt(Path file) throws IOException {
		file.toFile().setWritable(true);
		Files.write(file, new byte[] { 1, 2, 3, 4 });
	}

	private Run restore(Path distribution, String name, Map<String, String> env) throws Exception {
		Path out = this.dir.resolve(name + ".db");
		Path stdout = this.dir.resolve(name + ".stdout");
		Path stderr = this.dir.resolve(name + ".stderr");
		ProcessBuilder builder = new ProcessBuilder(distribution.resolve("litestream-cli").toString(), "restore", "-o",
				out.toString(), "file://" + this.replica)
			.redirectOutput(stdout.toFile())
			.redirectError(stderr.toFile());
		builder.environment().remove("JAVA_OPTS");
		builder.environment().remove("LITESTREAM_CLI_CDS");
		builder.environment().remove("LITESTREAM_CLI_NATIVE");
		builder.environment().putAll(env);
		Process p = builder.start();
		assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
		String err = Files.readString(stderr);
		assertThat(p.exitValue()).as(Files.readString(stdout) + err).isZero();
		return new Run(out, err);
	}

	/** The distribution copied with its files' times and modes (a copy elsewhere, as an operator installs it). */
	private Path copyOfDistribution(String name) throws IOException {
		Path copy = this.dir.resolve(name);
		List<Path> files;
		try (Stream<Path> walk = Files.walk(this.distribution)) {
			files = new ArrayList<>(walk.toList());
		}
		for (Path source : files) {
			Path target = copy.resolve(this.distribution.relativize(source).toString());
			if (Files.isDirectory(source)) {
				Files.createDirectories(target);
			}
			else {
				Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
			}
		}
		return copy;
	}

	/** Classes loaded from the distribution's jars instead of the archive, picocli's aside. */
	private static List<String> unarchivedApplicationClasses(Path classLog) throws IOException {
		try (Stream<String> lines = Files.lines(classLog)) {
			return lines.filter((line) -> line.contains(" source: file:") && !line.contains("/picocli-")).toList();
		}
	}

	private static long archivedClasses(Path classLog) throws IOException {
		try (Stream<String> lines = Files.lines(classLog)) {
			return lines.filter((line) -> line.contains("shared objects file (top)")).count();
		}
	}

}
