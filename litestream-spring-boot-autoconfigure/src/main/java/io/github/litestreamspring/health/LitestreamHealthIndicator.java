package io.github.litestreamspring.health;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthContributors;
import org.springframework.boot.health.contributor.Status;

import io.github.litestreamspring.lifecycle.LitestreamDatabase;
import io.github.litestreamspring.lifecycle.LitestreamDatabases;

/**
 * {@code /actuator/health/litestream}: one {@link DatabaseHealthIndicator} per replicated database,
 * each at {@code /actuator/health/litestream/<name>} ({@code <name>} is the database's name:
 * {@code litestream.databases[].name}, by default the database file's name, {@code app.db}). Spring Boot
 * aggregates them: DOWN while any database is.
 * <p>
 * For Java callers, {@link #health(boolean)} also gives the aggregate as one {@link Health}, with the
 * details it had before the databases became components of their own: the first database's details,
 * the others under {@code databases} (by path, each with its {@code status}), and the first
 * {@code reason} of a DOWN database.
 */
public class LitestreamHealthIndicator implements CompositeHealthContributor {

	private final Map<String, DatabaseHealthIndicator> indicators = new LinkedHashMap<>();

	public LitestreamHealthIndicator(LitestreamDatabases databases, Duration maxLag) {
		for (LitestreamDatabase database : databases.all()) {
			this.indicators.put(database.name(), new DatabaseHealthIndicator(database, maxLag));
		}
	}

	@Override
	public HealthContributor getContributor(String name) {
		return this.indicators.get(name);
	}

	@Override
	public Stream<HealthContributors.Entry> stream() {
		return this.indicators.entrySet().stream().map((e) -> new HealthContributors.Entry(e.getKey(), e.getValue()));
	}

	/** Every database's health in one, as described above. */
	public Health health(boolean includeDetails) {
		Health.Builder builder = Health.up();
		String reason = null;
		boolean anyDown = false;
		Map<String, Object> others = new LinkedHashMap<>();
		boolean first = true;
		for (DatabaseHealthIndicator indicator : this.indicators.values()) {
			Health health = indicator.health(true);
			boolean down = Status.DOWN.equals(health.getStatus());
			anyDown |= down;
			if (first) {
				builder.withDetails(health.getDetails());
				reason = down ? (String) health.getDetails().get("reason") : null;
				first = false;
				continue;
			}
			Map<String, Object> details = new LinkedHashMap<>(health.getDetails());
			details.put("status", health.getStatus().getCode());
			String path = indicator.database().path().toString();
			others.put(path, details);
			if (reason == null && down) {
				reason = "database " + path + ": " + health.getDetails().get("reason");
			}
		}
		if (!others.isEmpty()) {
			builder.withDetail("databases", others);
		}
		if (anyDown) {
			builder.down();
		}
		if (reason != null) {
			builder.withDetail("reason", reason);
		}
		Health health = builder.build();
		return includeDetails ? health : Health.status(health.getStatus()).build();
	}

	/** {@link #health(boolean) health(true)}. */
	public Health health() {
		return health(true);
	}

}
