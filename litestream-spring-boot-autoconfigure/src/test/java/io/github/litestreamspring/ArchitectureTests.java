package io.github.litestreamspring;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Layering of the main code (drawn in docs/architecture.md): the engine is plain Java that programs can
 * embed without Spring, its root package is the floor every engine room stands on, its rooms do not
 * lean on each other in circles, and the AWS SDK stays behind the S3 replica client so that file-only
 * users never touch it.
 */
class ArchitectureTests {

	private static final String ENGINE = "io.github.litestreamspring.engine";

	private static JavaClasses classes;

	@BeforeAll
	static void importMainClasses() {
		classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
			.importPackages("io.github.litestreamspring");
	}

	@Test
	void mainClassesWereImported() {
		// Guards the rules below against passing vacuously on an empty import.
		assertThat(classes.stream().filter(c -> c.getPackageName().startsWith(ENGINE))).hasSizeGreaterThan(20);
		assertThat(classes.contain(ENGINE + ".replication.Replicator")).isTrue();
		assertThat(enginePackageDependencies()).containsKey(ENGINE + ".replication");
		assertThat(classes.stream().noneMatch(c -> c.getSimpleName().endsWith("Tests"))).isTrue();
	}

	@Test
	void engineDoesNotDependOnSpring() {
		noClasses().that()
			.resideInAPackage(ENGINE + "..")
			.should()
			.dependOnClassesThat()
			.resideInAPackage("org.springframework..")
			.check(classes);
	}

	@Test
	void engineDoesNotDependOnTheSpringLayer() {
		noClasses().that()
			.resideInAPackage(ENGINE + "..")
			.should()
			.dependOnClassesThat(resideInAPackage("io.github.litestreamspring..")
				.and(resideOutsideOfPackage(ENGINE + "..")))
			.check(classes);
	}

	@Test
	void engineRootDependsOnNoEngineSubPackage() {
		// The root holds the shared types (positions, the replica client contract, the exception): every
		// room may use them, so they may use no room.
		noClasses().that()
			.resideInAPackage(ENGINE)
			.should()
			.dependOnClassesThat()
			.resideInAPackage(ENGINE + ".*..")
			.check(classes);
	}

	@Test
	void enginePackagesHaveNoCycles() {
		Map<String, Set<String>> graph = enginePackageDependencies();
		List<List<String>> cycles = stronglyConnected(graph).stream().filter(c -> c.size() > 1).toList();
		assertThat(cycles).as("package cycles among %s.. (each list depends on itself through its members)", ENGINE)
			.isEmpty();
	}

	@Test
	void onlyTheS3ReplicaDependsOnTheAwsSdk() {
		// In the Spring layer only S3Replicas may: it is loaded only when the SDK is on the class path,
		// so that a file-only application runs without it. SpringCloudAwsS3Clients is reached only from
		// S3Replicas, and only when Spring Cloud AWS (which brings the SDK) is on the class path.
		noClasses().that()
			.resideOutsideOfPackage(ENGINE + ".replica.s3..")
			.and()
			.doNotHaveFullyQualifiedName("io.github.litestreamspring.autoconfigure.S3Replicas")
			.and()
			.doNotHaveFullyQualifiedName("io.github.litestreamspring.autoconfigure.SpringCloudAwsS3Clients")
			.should()
			.dependOnClassesThat()
			.resideInAPackage("software.amazon..")
			.check(classes);
	}

	/** Package → the other engine packages its classes use. */
	private static Map<String, Set<String>> enginePackageDependencies() {
		Map<String, Set<String>> graph = new TreeMap<>();
		for (JavaClass c : classes) {
			String from = c.getPackageName();
			if (!from.startsWith(ENGINE)) {
				continue;
			}
			Set<String> to = graph.computeIfAbsent(from, k -> new TreeSet<>());
			for (Dependency d : c.getDirectDependenciesFromSelf()) {
				String target = d.getTargetClass().getPackageName();
				if (target.startsWith(ENGINE) && !target.equals(from)) {
					to.add(target);
				}
			}
		}
		return graph;
	}

	/** Tarjan's strongly connected components. */
	private static List<List<String>> stronglyConnected(Map<String, Set<String>> graph) {
		Map<String, Integer> index = new HashMap<>();
		Map<String, Integer> low = new HashMap<>();
		Deque<String> stack = new ArrayDeque<>();
		Set<String> onStack = new TreeSet<>();
		List<List<String>> result = new ArrayList<>();
		int[] counter = { 0 };
		for (String v : graph.keySet()) {
			if (!index.containsKey(v)) {
				connect(v, graph, index, low, stack, onStack, result, counter);
			}
		}
		return result;
	}

	private static void connect(String v, Map<String, Set<String>> graph, Map<String, Integer> index,
			Map<String, Integer> low, Deque<String> stack, Set<String> onStack, List<List<String>> result,
			int[] counter) {
		index.put(v, counter[0]);
		low.put(v, counter[0]++);
		stack.push(v);
		onStack.add(v);
		for (String w : graph.getOrDefault(v, Set.of())) {
			if (!index.containsKey(w)) {
				connect(w, graph, index, low, stack, onStack, result, counter);
				low.put(v, Math.min(low.get(v), low.get(w)));
			}
			else if (onStack.contains(w)) {
				low.put(v, Math.min(low.get(v), index.get(w)));
			}
		}
		if (low.get(v).equals(index.get(v))) {
			List<String> component = new ArrayList<>();
			String w;
			do {
				w = stack.pop();
				onStack.remove(w);
				component.add(w);
			}
			while (!w.equals(v));
			result.add(component);
		}
	}

}
