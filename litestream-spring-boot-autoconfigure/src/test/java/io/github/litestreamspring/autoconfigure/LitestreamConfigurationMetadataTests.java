package io.github.litestreamspring.autoconfigure;

import java.beans.PropertyDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.BeanUtils;
import org.springframework.beans.BeanWrapperImpl;
import org.springframework.boot.context.properties.bind.DataObjectPropertyName;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.core.io.ClassPathResource;
import org.springframework.util.ClassUtils;
import org.springframework.util.StreamUtils;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configuration metadata IDEs and {@code docs/configuration.md} rely on: every property bound under
 * {@code litestream.} (found by walking {@link LitestreamProperties} and its nested groups, list elements
 * included, so a property added without metadata fails here) has a description, the default the class
 * really has, and value hints when it takes one of a fixed set of values.
 */
class LitestreamConfigurationMetadataTests {

	private static final Class<?> ROOT = LitestreamProperties.class;

	private static Map<String, Map<String, Object>> metadata;

	private static Map<String, List<String>> hints;

	/** Every bound property: its name in the metadata's form ({@code litestream.replicas[].url}) and owner. */
	private static final Map<String, BoundProperty> bound = new LinkedHashMap<>();

	@BeforeAll
	static void readMetadataAndWalkTheProperties() throws IOException {
		metadata = new LinkedHashMap<>();
		hints = new LinkedHashMap<>();
		// The generated file already merges the hand-written one; reading both also catches an entry
		// that the merge dropped or that only the hand-written file has.
		for (String file : List.of("META-INF/spring-configuration-metadata.json",
				"META-INF/additional-spring-configuration-metadata.json")) {
			Map<String, Object> json = read(file);
			for (Map<String, Object> property : list(json.get("properties"))) {
				metadata.merge((String) property.get("name"), new LinkedHashMap<>(property), (a, b) -> {
					b.forEach(a::putIfAbsent);
					return a;
				});
			}
			for (Map<String, Object> hint : list(json.get("hints"))) {
				hints.put((String) hint.get("name"),
						list(hint.get("values")).stream().map((v) -> String.valueOf(v.get("value"))).toList());
			}
		}
		walk("litestream", ROOT, BeanUtils.instantiateClass(ROOT));
	}

	@Test
	void everyBoundPropertyHasADescription() {
		Set<String> missing = new TreeSet<>();
		for (String name : bound.keySet()) {
			Object description = (metadata.get(name) != null) ? metadata.get(name).get("description") : null;
			if (description == null || description.toString().isBlank()) {
				missing.add(name);
			}
		}
		assertThat(missing).as("bound properties without a description in the configuration metadata").isEmpty();
		assertThat(bound).containsKeys("litestream.replicas[].url", "litestream.replicas[].secret-access-key",
				"litestream.databases[].path", "litestream.databases[].replicas[].sync-interval",
				"litestream.restore.on-divergence");
	}

	@Test
	void everyEnumPropertyHasAHintForEachValue() {
		Map<String, String> wrong = new LinkedHashMap<>();
		bound.forEach((name, property) -> {
			if (property.type().isEnum()) {
				Set<String> expected = Arrays.stream(property.type().getEnumConstants())
					.map((c) -> ((Enum<?>) c).name().toLowerCase(Locale.ROOT).replace('_', '-'))
					.collect(Collectors.toCollection(TreeSet::new));
				List<String> hinted = hints.getOrDefault(name, List.of());
				if (!new TreeSet<>(hinted).equals(expected)) {
					wrong.put(name, "hints " + hinted + ", values " + expected);
				}
			}
		});
		assertThat(wrong).as("enum properties whose value hints are missing or incomplete").isEmpty();
		assertThat(bound.keySet().stream().filter((n) -> bound.get(n).type().isEnum()))
			.contains("litestream.lease.on-conflict", "litestream.backpressure.policy",
					"litestream.restore.on-divergence");
	}

	@Test
	void serverSideEncryptionKindsAreHintedWhereverAReplicaIsConfigured() {
		for (String name : List.of("litestream.replicas[].sse", "litestream.databases[].replicas[].sse")) {
			assertThat(hints.get(name)).as(name).containsExactly("none", "aes256", "kms", "customer");
		}
	}

	@Test
	void declaredDefaultsAreTheDefaultsOfTheClass() {
		Map<String, String> wrong = new LinkedHashMap<>();
		bound.forEach((name, property) -> {
			Object declared = (metadata.get(name) != null) ? metadata.get(name).get("defaultValue") : null;
			Object actual = property.defaultValue();
			if (actual instanceof Collection<?> collection && collection.isEmpty()) {
				actual = null;
			}
			if (actual == null) {
				if (declared != null) {
					wrong.put(name, "declared " + declared + ", but the class has none");
				}
				return;
			}
			if (declared == null) {
				wrong.put(name, "no defaultValue declared, the class has " + actual);
				return;
			}
			Object converted = ApplicationConversionService.getSharedInstance()
				.convert(String.valueOf(declared), ClassUtils.resolvePrimitiveIfNecessary(property.type()));
			if (!actual.equals(converted)) {
				wrong.put(name, "declared " + declared + ", the class has " + actual);
			}
		});
		assertThat(wrong).as("defaults in the metadata that differ from LitestreamProperties").isEmpty();
	}

	@Test
	void theMetadataDescribesNoPropertyThatIsNotBound() {
		Set<String> stale = metadata.keySet()
			.stream()
			.filter((n) -> n.startsWith("litestream.") && !bound.containsKey(n))
			.collect(Collectors.toCollection(TreeSet::new));
		assertThat(stale).as("metadata entries for properties LitestreamProperties does not have").isEmpty();
	}

	@Test
	void theHealthIndicatorSwitchIsDeclared() {
		Map<String, Object> property = metadata.get("management.health.litestream.enabled");
		assertThat(property).isNotNull().containsEntry("type", "java.lang.Boolean").containsEntry("defaultValue", true);
		assertThat(property.get("description").toString()).isNotBlank();
	}

	/**
	 * Records the bean properties of {@code type} under {@code prefix}: a nested group of
	 * {@link LitestreamProperties} is descended into, a list or map of such groups too (as
	 * {@code name[]} / {@code name.*}), and everything with a setter is a property.
	 */
	private static void walk(String prefix, Class<?> type, Object instance) {
		BeanWrapperImpl wrapper = new BeanWrapperImpl(instance);
		for (PropertyDescriptor descriptor : BeanUtils.getPropertyDescriptors(type)) {
			if (descriptor.getReadMethod() == null || descriptor.getName().equals("class")) {
				continue;
			}
			String name = prefix + "." + DataObjectPropertyName.toDashedForm(descriptor.getName());
			Class<?> propertyType = descriptor.getPropertyType();
			Object value = wrapper.getPropertyValue(descriptor.getName());
			if (isGroup(propertyType)) {
				walk(name, propertyType, value);
				continue;
			}
			if (descriptor.getWriteMethod() == null) {
				continue;
			}
			bound.put(name, new BoundProperty(propertyType, value));
			Class<?> element = elementGroup(type, descriptor.getName());
			if (element != null) {
				String elementPrefix = Map.class.isAssignableFrom(propertyType) ? name + ".*" : name + "[]";
				walk(elementPrefix, element, BeanUtils.instantiateClass(element));
			}
		}
	}

	private static boolean isGroup(Class<?> type) {
		return type.getDeclaringClass() == ROOT && !type.isEnum();
	}

	/** The group type of a {@code List<Group>} or {@code Map<String, Group>} field, or null. */
	private static Class<?> elementGroup(Class<?> owner, String property) {
		Field field = org.springframework.util.ReflectionUtils.findField(owner, property);
		if (field == null || !(field.getGenericType() instanceof ParameterizedType parameterized)) {
			return null;
		}
		Type[] arguments = parameterized.getActualTypeArguments();
		Type last = arguments[arguments.length - 1];
		return (last instanceof Class<?> element && isGroup(element)) ? element : null;
	}

	private static Map<String, Object> read(String file) throws IOException {
		try (InputStream in = new ClassPathResource(file).getInputStream()) {
			return JsonPath.parse(StreamUtils.copyToString(in, StandardCharsets.UTF_8)).read("$");
		}
	}

	@SuppressWarnings("unchecked")
	private static List<Map<String, Object>> list(Object value) {
		return (value != null) ? (List<Map<String, Object>>) value : new ArrayList<>();
	}

	private record BoundProperty(Class<?> type, Object defaultValue) {
	}

}
