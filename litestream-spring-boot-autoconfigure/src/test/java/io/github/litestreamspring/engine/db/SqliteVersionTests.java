package io.github.litestreamspring.engine.db;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class SqliteVersionTests {

	@Test
	void versionsFromTheFirstAffectedUpToTheFixHaveTheWalResetBug() {
		assertThat(SqliteVersion.parse("3.6.23").hasWalResetBug()).isFalse();
		assertThat(SqliteVersion.parse("3.7.0").hasWalResetBug()).isTrue();
		assertThat(SqliteVersion.parse("3.50.3").hasWalResetBug()).isTrue();
		assertThat(SqliteVersion.parse("3.51.2").hasWalResetBug()).isTrue();
		assertThat(SqliteVersion.parse("3.51.3").hasWalResetBug()).isFalse();
		assertThat(SqliteVersion.parse("3.54.1").hasWalResetBug()).isFalse();
		assertThat(SqliteVersion.parse("4.0").hasWalResetBug()).isFalse();
	}

	@Test
	void comparesNumericallyNotAsText() {
		assertThat(SqliteVersion.parse("3.9.0")).isLessThan(SqliteVersion.parse("3.10.0"));
		assertThat(SqliteVersion.parse("3.51")).isEqualTo(new SqliteVersion(3, 51, 0));
		assertThat(SqliteVersion.parse(" 3.50.3 ")).hasToString("3.50.3");
	}

	@Test
	void rejectsWhatIsNotAVersion() {
		assertThatIllegalArgumentException().isThrownBy(() -> SqliteVersion.parse("3"));
		assertThatIllegalArgumentException().isThrownBy(() -> SqliteVersion.parse("3.x.1"));
		assertThatIllegalArgumentException().isThrownBy(() -> SqliteVersion.parse(null));
	}

	@Test
	void readsTheVersionOfTheDriverOnTheClassPath() throws Exception {
		// This build's own driver (sqlite-jdbc <version> is SQLite's version plus a fourth number).
		String driver = org.sqlite.SQLiteJDBCLoader.getVersion();
		assertThat(SqliteVersion.ofDriver()).isEqualTo(SqliteVersion.parse(driver.substring(0, driver.lastIndexOf('.'))));
		assertThat(SqliteVersion.ofDriver().hasWalResetBug()).isFalse();
	}

}
