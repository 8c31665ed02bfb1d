package io.github.litestreamspring.autoconfigure;

import java.util.List;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;

import io.github.litestreamspring.lifecycle.LitestreamReplication;

/**
 * The databases of {@code litestream.databases[]}, replicated beside the application's DataSource:
 * each has its own engine ({@link LitestreamReplication}), started and stopped with the main one.
 */
public class LitestreamAdditionalDatabases implements SmartLifecycle, DisposableBean {

	private final List<LitestreamReplication> replications;

	LitestreamAdditionalDatabases(List<LitestreamReplication> replications) {
		this.replications = List.copyOf(replications);
	}

	/** One replication per configured database, in configuration order. */
	public List<LitestreamReplication> replications() {
		return this.replications;
	}

	@Override
	public void start() {
		this.replications.forEach(LitestreamReplication::start);
	}

	@Override
	public void stop() {
		this.replications.forEach(LitestreamReplication::stop);
	}

	/** After every DataSource has closed, as {@link LitestreamReplication#destroy()}. */
	@Override
	public void destroy() {
		this.replications.forEach(LitestreamReplication::destroy);
	}

	@Override
	public boolean isRunning() {
		return this.replications.stream().anyMatch(LitestreamReplication::isRunning);
	}

	@Override
	public int getPhase() {
		return LitestreamReplication.PHASE;
	}

}
