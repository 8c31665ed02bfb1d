package io.github.litestreamspring.metrics;

import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;

import io.github.litestreamspring.lifecycle.LitestreamOperationObserver;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicationListener;

/**
 * Replica syncs, snapshot uploads, the startup restore and restore verifications as Micrometer
 * {@link Observation}s: {@code litestream.replica.sync}, {@code litestream.snapshot},
 * {@code litestream.restore}, {@code litestream.verify}. With Boot's {@link ObservationRegistry} each
 * becomes a timer (and a {@code .active} long task timer) and, when tracing is on, a span; without one,
 * a registry of our own turns them into timers only. Low-cardinality keys: {@code database},
 * {@code replica} (syncs and snapshots), {@code outcome}.
 */
public class LitestreamObservations implements LitestreamOperationObserver {

	static final String REPLICA_SYNC = LitestreamMetrics.PREFIX + "replica.sync";

	static final String SNAPSHOT = LitestreamMetrics.PREFIX + "snapshot";

	static final String RESTORE = LitestreamMetrics.PREFIX + "restore";

	static final String VERIFY = LitestreamMetrics.PREFIX + "verify";

	private final ObservationRegistry registry;

	public LitestreamObservations(ObservationRegistry registry) {
		this.registry = registry;
	}

	/** Observations recorded as timers on {@code meterRegistry} only, for an application without Boot's registry. */
	public static LitestreamObservations timersOnly(MeterRegistry meterRegistry) {
		ObservationRegistry registry = ObservationRegistry.create();
		registry.observationConfig().observationHandler(new DefaultMeterObservationHandler(meterRegistry));
		return new LitestreamObservations(registry);
	}

	/**
	 * The {@code database} key's value (as the meters' {@code database} tag): the configured name
	 * ({@code litestream.databases[].name}), else the database file's name.
	 */
	static String databaseName(LitestreamReplication replication) {
		return replication.name();
	}

	/** Starts the observation of an engine operation; ended on the same thread. */
	ReplicationListener.Timing begin(ReplicationListener.Work work, String database, Replica replica) {
		String name = (work == ReplicationListener.Work.SNAPSHOT) ? SNAPSHOT : REPLICA_SYNC;
		Observation observation = Observation.createNotStarted(name, this.registry)
			.contextualName(name.replace('.', ' '))
			.lowCardinalityKeyValue("database", database)
			.lowCardinalityKeyValue("replica", replica.name())
			.start();
		Observation.Scope scope = observation.openScope();
		return (failure) -> {
			scope.close();
			if (failure != null) {
				observation.error(failure);
			}
			observation.lowCardinalityKeyValue("outcome", (failure != null) ? "error" : "success").stop();
		};
	}

	@Override
	public <T> T observe(Operation operation, LitestreamReplication replication, Supplier<T> work,
			Function<T, String> outcome) {
		String name = (operation == Operation.RESTORE) ? RESTORE : VERIFY;
		Observation observation = Observation.createNotStarted(name, this.registry)
			.contextualName(name.replace('.', ' '))
			.lowCardinalityKeyValue("database", databaseName(replication))
			.start();
		try (Observation.Scope scope = observation.openScope()) {
			T result = work.get();
			observation.lowCardinalityKeyValue("outcome", outcome.apply(result).toLowerCase(Locale.ROOT));
			return result;
		}
		catch (RuntimeException | Error ex) {
			observation.error(ex);
			observation.lowCardinalityKeyValue("outcome", "error");
			throw ex;
		}
		finally {
			observation.stop();
		}
	}

}
