package io.github.litestreamspring.metrics;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.lifecycle.LitestreamDatabase;
import io.github.litestreamspring.lifecycle.LitestreamDatabases;
import io.github.litestreamspring.lifecycle.LitestreamStartupRestore;

/**
 * Micrometer meters of every replicated database, all named {@code litestream.*} and tagged with the
 * database's name (and the replica name where it applies); tag values are lower case. A
 * {@link MeterBinder}: registered on the registries it is bound to only, nothing global, and each
 * registry once however often it is bound (Spring Boot binds it, and the auto-configuration binds it to
 * the application's registry when Boot's metrics auto-configuration is absent). Replica syncs and
 * snapshot uploads are {@link LitestreamObservations observations}, whose timers keep the names
 * {@code litestream.replica.sync} and {@code litestream.snapshot}. docs/observability.md lists every
 * meter.
 */
public class LitestreamMetrics implements MeterBinder {

	public static final String PREFIX = "litestream.";

	private final LitestreamDatabases databases;

	private final LitestreamStartupRestore restore;

	private final LitestreamObservations observations;

	private final Set<MeterRegistry> bound = Collections.newSetFromMap(new IdentityHashMap<>());

	/**
	 * @param restore the startup restore, whose duration each database reports; {@code null} without one
	 * @param observations how replica syncs and snapshots are timed
	 */
	public LitestreamMetrics(LitestreamDatabases databases, LitestreamStartupRestore restore,
			LitestreamObservations observations) {
		this.databases = databases;
		this.restore = restore;
		this.observations = observations;
	}

	@Override
	public synchronized void bindTo(MeterRegistry registry) {
		if (!this.bound.add(registry)) {
			return;
		}
		List<LitestreamDatabase> all = this.databases.all();
		for (int i = 0; i < all.size(); i++) {
			LitestreamDatabase database = all.get(i);
			DatabaseMeters meters = new DatabaseMeters(registry, database.replication(), restoreResult(i),
					this.observations);
			database.replication().addListener(meters);
			meters.bindVerification(database.verification());
			meters.bindBackpressure(database.backpressure());
			meters.bindLagBytes();
		}
	}

	private Supplier<RestoreResult> restoreResult(int database) {
		LitestreamStartupRestore restore = this.restore;
		if (restore == null) {
			return null;
		}
		return () -> restore.results().get(database);
	}

}
