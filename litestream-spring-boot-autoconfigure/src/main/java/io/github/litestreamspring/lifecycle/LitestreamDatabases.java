package io.github.litestreamspring.lifecycle;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;

/**
 * Every replicated database, in configuration order: the DataSource's ({@code spring.datasource.url},
 * or {@code litestream.path}) first, then each of {@code litestream.databases[]}. Health, the endpoint,
 * metrics, readiness and the pools' write guards go through this one list, so that each database gets
 * the same treatment.
 * <p>
 * The first database's parts are also beans of their own ({@link LitestreamReplication},
 * {@link LitestreamDurability}, …), which applications inject and Spring starts and stops; this bean
 * starts, stops and closes the parts of the others, in the same phases.
 */
public class LitestreamDatabases implements SmartLifecycle, DisposableBean {

	private final List<LitestreamDatabase> all;

	private final List<LitestreamDatabase> further;

	public LitestreamDatabases(LitestreamDatabase first, List<LitestreamDatabase> further) {
		List<LitestreamDatabase> all = new ArrayList<>();
		all.add(first);
		all.addAll(further);
		this.all = List.copyOf(all);
		this.further = List.copyOf(further);
	}

	/** Every database, the DataSource's first. */
	public List<LitestreamDatabase> all() {
		return this.all;
	}

	/** The DataSource's database. */
	public LitestreamDatabase first() {
		return this.all.get(0);
	}

	/** The database of that name ({@code litestream.databases[].name}, else its file's name). */
	public Optional<LitestreamDatabase> get(String name) {
		return this.all.stream().filter((d) -> d.name().equals(name)).findFirst();
	}

	/** Every database's replication, the DataSource's first. */
	public List<LitestreamReplication> replications() {
		return this.all.stream().map(LitestreamDatabase::replication).toList();
	}

	/** Starts replication, then (a verification needs the replication thread) scheduled verification. */
	@Override
	public void start() {
		this.further.forEach((d) -> d.replication().start());
		this.further.forEach((d) -> d.verification().start());
	}

	@Override
	public void stop() {
		this.further.forEach((d) -> d.verification().stop());
		this.further.forEach((d) -> d.replication().stop());
	}

	/** After every DataSource has closed, as {@link LitestreamReplication#destroy()}. */
	@Override
	public void destroy() {
		this.further.forEach((d) -> d.replication().destroy());
	}

	@Override
	public boolean isRunning() {
		return this.further.stream().anyMatch((d) -> d.replication().isRunning());
	}

	@Override
	public int getPhase() {
		return LitestreamReplication.PHASE;
	}

}
