package io.github.litestreamspring.autoconfigure;

import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;

import net.jpountz.lz4.LZ4Factory;
import net.jpountz.xxhash.XXHashFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.core.io.support.SpringFactoriesLoader;

import static org.assertj.core.api.Assertions.assertThat;


/** The hints the starter contributes through {@code META-INF/spring/aot.factories}, as AOT processing loads them. */
class LitestreamRuntimeHintsTests {

	private final RuntimeHints hints = new RuntimeHints();

	@BeforeEach
	void registerFromAotFactories() {
		SpringFactoriesLoader.forResourceLocation("META-INF/spring/aot.factories")
			.load(RuntimeHintsRegistrar.class)
			.forEach((registrar) -> registrar.registerHints(this.hints, getClass().getClassLoader()));
	}

	@Test
	void everyLz4CodecTheFactoriesLoadByNameIsReachable() throws Exception {
		for (String impl : LitestreamRuntimeHints.LZ4_IMPLEMENTATIONS) {
			for (String name : new String[] { "net.jpountz.lz4.LZ4" + impl + "Compressor",
					"net.jpountz.lz4.LZ4HC" + impl + "Compressor", "net.jpountz.lz4.LZ4" + impl + "FastDecompressor",
					"net.jpountz.lz4.LZ4" + impl + "SafeDecompressor", "net.jpountz.xxhash.XXHash32" + impl,
					"net.jpountz.xxhash.XXHash64" + impl, "net.jpountz.xxhash.StreamingXXHash32" + impl + "$Factory",
					"net.jpountz.xxhash.StreamingXXHash64" + impl + "$Factory" }) {
				assertThat(RuntimeHintsPredicates.reflection().onFieldAccess(Class.forName(name), "INSTANCE"))
					.as(name + ".INSTANCE")
					.accepts(this.hints);
			}
			Class<?> hc = Class.forName("net.jpountz.lz4.LZ4HC" + impl + "Compressor");
			assertThat(RuntimeHintsPredicates.reflection().onConstructorInvocation(hc.getDeclaredConstructor(int.class)))
				.as(hc.getName() + "(int)")
				.accepts(this.hints);
		}
	}

	@Test
	void theCodecsTheEngineFallsBackToInANativeImageAreCovered() {
		// The engine's codecs without the JNI library (Lz4Frames.Codecs): what a native image runs.
		for (Object codec : new Object[] { LZ4Factory.fastestJavaInstance().fastCompressor(),
				LZ4Factory.safeInstance().safeDecompressor(), XXHashFactory.safeInstance().hash32() }) {
			assertThat(RuntimeHintsPredicates.reflection().onType(codec.getClass())).as(codec.getClass().getName())
				.accepts(this.hints);
		}
	}

	@Test
	void backpressureProxiesOfConnectionsAndStatementsAreRegistered() {
		for (Class<?> type : new Class<?>[] { Connection.class, Statement.class, PreparedStatement.class,
				CallableStatement.class }) {
			assertThat(RuntimeHintsPredicates.proxies().forInterfaces(type)).as(type.getName()).accepts(this.hints);
		}
	}

	@Test
	void theProxyOfTheApplicationsS3ClientIsRegistered() {
		assertThat(RuntimeHintsPredicates.proxies().forInterfaces(software.amazon.awssdk.services.s3.S3Client.class))
			.accepts(this.hints);
	}

	@Test
	void theBuildVersionsTheSqliteVersionCheckReadsAreIncluded() {
		assertThat(RuntimeHintsPredicates.resource()
			.forResource("io/github/litestreamspring/autoconfigure/" + SqliteVersionGuard.BUILD_VERSIONS)).accepts(this.hints);
	}

}
