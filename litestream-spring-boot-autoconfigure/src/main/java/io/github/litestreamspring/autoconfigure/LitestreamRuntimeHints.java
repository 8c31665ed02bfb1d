package io.github.litestreamspring.autoconfigure;

import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;

import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.TypeReference;


/**
 * What the starter reaches reflectively, for AOT processing and GraalVM native images (registered in
 * {@code META-INF/spring/aot.factories}).
 * <ul>
 * <li>lz4-java's factories load every codec by name and read its {@code INSTANCE} field (the high
 * compression codecs are also built through a declared {@code (int)} constructor). The Java codecs are
 * the ones a native image uses: the JNI library is not bundled as a resource, so
 * {@code LZ4Factory.nativeInstance()} fails there and the engine falls back to them.</li>
 * <li>Backpressure wraps pooled connections and their statements in JDK proxies.</li>
 * <li>The SQLite version check reads the build's sqlite-jdbc version from a resource.</li>
 * </ul>
 * Properties binding, the Actuator endpoint's operations and the failure analyzer are covered by
 * Spring Boot's own AOT processing.
 */
class LitestreamRuntimeHints implements RuntimeHintsRegistrar {

	/** lz4-java's implementation name infixes: {@code LZ4<impl>Compressor}, {@code XXHash32<impl>}, … */
	static final List<String> LZ4_IMPLEMENTATIONS = List.of("JavaSafe", "JavaUnsafe", "JNI");

	@Override
	public void registerHints(RuntimeHints hints, ClassLoader classLoader) {
		for (String impl : LZ4_IMPLEMENTATIONS) {
			for (String codec : List.of("net.jpountz.lz4.LZ4" + impl + "Compressor",
					"net.jpountz.lz4.LZ4" + impl + "FastDecompressor", "net.jpountz.lz4.LZ4" + impl + "SafeDecompressor",
					"net.jpountz.xxhash.XXHash32" + impl, "net.jpountz.xxhash.XXHash64" + impl,
					"net.jpountz.xxhash.StreamingXXHash32" + impl + "$Factory",
					"net.jpountz.xxhash.StreamingXXHash64" + impl + "$Factory")) {
				hints.reflection().registerType(TypeReference.of(codec), MemberCategory.ACCESS_PUBLIC_FIELDS);
			}
			hints.reflection()
				.registerType(TypeReference.of("net.jpountz.lz4.LZ4HC" + impl + "Compressor"),
						MemberCategory.ACCESS_PUBLIC_FIELDS, MemberCategory.INVOKE_DECLARED_CONSTRUCTORS);
		}
		hints.proxies().registerJdkProxy(Connection.class);
		hints.proxies().registerJdkProxy(Statement.class);
		hints.proxies().registerJdkProxy(PreparedStatement.class);
		hints.proxies().registerJdkProxy(CallableStatement.class);
		// S3 replicas that reuse the application's S3Client see it through a JDK proxy (SingleAttemptS3Client).
		hints.proxies().registerJdkProxy(TypeReference.of("software.amazon.awssdk.services.s3.S3Client"));
		hints.resources()
			.registerPattern(SqliteVersionGuard.class.getPackageName().replace('.', '/') + "/"
					+ SqliteVersionGuard.BUILD_VERSIONS);
	}

}
