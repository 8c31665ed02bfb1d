package io.github.litestreamspring.autoconfigure;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import io.github.litestreamspring.engine.db.SqliteVersion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

@ExtendWith(OutputCaptureExtension.class)
class SqliteVersionGuardTests {

	private static final SqliteVersion BOOT_4_0_MANAGED = SqliteVersion.parse("3.50.3");

	@Test
	void recommendsTheDriverThisStarterIsBuiltWith() throws Exception {
		// Filled in by the build from ${sqlite-jdbc.version}, the driver on this module's test class path.
		assertThat(SqliteVersionGuard.recommendedDriverVersion()).isEqualTo(org.sqlite.SQLiteJDBCLoader.getVersion());
	}

	@Test
	void aVersionWithTheWalResetBugFailsStartUpWithTheOneLineFixForMavenAndGradle() {
		LitestreamConfigurationException ex = catchThrowableOfType(LitestreamConfigurationException.class,
				() -> SqliteVersionGuard.check(BOOT_4_0_MANAGED, false));
		String version = SqliteVersionGuard.recommendedDriverVersion();
		FailureAnalysis analysis = new LitestreamFailureAnalyzer().analyze(ex);
		assertThat(analysis.getDescription()).contains("SQLite 3.50.3", "WAL-reset bug",
				"https://sqlite.org/wal.html#walresetbug");
		assertThat(analysis.getAction()).contains("<sqlite-jdbc.version>" + version + "</sqlite-jdbc.version>",
				"ext['sqlite-jdbc.version'] = '" + version + "'", "litestream.sqlite.accept-wal-reset-bug=true");
	}

	@Test
	void acceptingTheRiskStartsWithAWarning(CapturedOutput output) {
		assertThatNoException().isThrownBy(() -> SqliteVersionGuard.check(BOOT_4_0_MANAGED, true));
		assertThat(output).contains("WARN", "SQLite 3.50.3", "litestream.sqlite.accept-wal-reset-bug=true");
	}

	@Test
	void aFixedVersionPassesSilently(CapturedOutput output) {
		assertThatNoException().isThrownBy(() -> SqliteVersionGuard.check(SqliteVersion.WAL_RESET_BUG_FIXED, false));
		assertThatNoException().isThrownBy(() -> SqliteVersionGuard.check(new LitestreamProperties().getSqlite()));
		assertThat(output).doesNotContain("WAL-reset");
	}

}
