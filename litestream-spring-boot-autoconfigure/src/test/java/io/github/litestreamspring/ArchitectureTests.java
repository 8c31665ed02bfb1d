package io.github.litestreamspring;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Layering of the main code: the engine is plain Java that programs can embed without Spring, and
 * the AWS SDK stays behind the S3 replica client so that file-only users never touch it.
 */
class ArchitectureTests {

	private static JavaClasses classes;

	@BeforeAll
	static void importMainClasses() {
		classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
			.importPackages("io.github.litestreamspring");
	}

	@Test
	void mainClassesWereImported() {
		// Guards the rules below against passing vacuously on an empty import.
		assertThat(classes.stream().filter(c -> c.getPackageName().startsWith("io.github.litestreamspring.engine")))
			.hasSizeGreaterThan(20);
		assertThat(classes.contain("io.github.litestreamspring.engine.Replicator")).isTrue();
		assertThat(classes.stream().noneMatch(c -> c.getSimpleName().endsWith("Tests"))).isTrue();
	}

	@Test
	void engineDoesNotDependOnSpring() {
		noClasses().that()
			.resideInAPackage("io.github.litestreamspring.engine..")
			.should()
			.dependOnClassesThat()
			.resideInAPackage("org.springframework..")
			.check(classes);
	}

	@Test
	void onlyTheS3ReplicaDependsOnTheAwsSdk() {
		// In the Spring layer only S3Replicas may: it is loaded only when the SDK is on the class path,
		// so that a file-only application runs without it. SpringCloudAwsS3Clients is reached only from
		// S3Replicas, and only when Spring Cloud AWS (which brings the SDK) is on the class path.
		noClasses().that()
			.resideOutsideOfPackage("io.github.litestreamspring.engine.replica.s3..")
			.and()
			.doNotHaveFullyQualifiedName("io.github.litestreamspring.autoconfigure.S3Replicas")
			.and()
			.doNotHaveFullyQualifiedName("io.github.litestreamspring.autoconfigure.SpringCloudAwsS3Clients")
			.should()
			.dependOnClassesThat()
			.resideInAPackage("software.amazon..")
			.check(classes);
	}

	@Test
	void engineDoesNotDependOnTheSpringLayer() {
		noClasses().that()
			.resideInAPackage("io.github.litestreamspring.engine..")
			.should()
			.dependOnClassesThat()
			.resideInAPackage("io.github.litestreamspring.autoconfigure..")
			.check(classes);
	}

}
