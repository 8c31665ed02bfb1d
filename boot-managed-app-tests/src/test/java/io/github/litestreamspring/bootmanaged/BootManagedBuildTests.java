package io.github.litestreamspring.bootmanaged;

import org.junit.jupiter.api.Test;
import org.sqlite.SQLiteJDBCLoader;
import org.springframework.boot.SpringBootVersion;

import static org.assertj.core.api.Assertions.assertThat;

/** This module must reproduce a user's build of the current starter, or its other tests prove nothing. */
class BootManagedBuildTests {

	@Test
	void springBootParentIsTheVersionTheStarterIsBuiltWith() throws Exception {
		assertThat(SpringBootVersion.getVersion())
			.as("<parent> of boot-managed-app-tests/pom.xml must be the root pom's spring-boot.version")
			.isEqualTo(RootPom.read().property("spring-boot.version"));
	}

	@Test
	void moduleVersionIsTheStartersVersion() throws Exception {
		assertThat(System.getProperty("module.version")).isEqualTo(RootPom.read().version());
	}

	@Test
	void theDriverOnTheClassPathIsBootsManagedVersionNotTheStarters() throws Exception {
		String bootManaged = System.getProperty("boot.sqlite-jdbc.version");
		assertThat(bootManaged).as("sqlite-jdbc.version of Spring Boot's BOM").isNotBlank();
		assertThat(SQLiteJDBCLoader.getVersion()).isEqualTo(bootManaged);
	}

}
