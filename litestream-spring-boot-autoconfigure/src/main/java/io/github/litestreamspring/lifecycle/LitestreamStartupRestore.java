package io.github.litestreamspring.lifecycle;

import java.util.List;

import org.springframework.beans.factory.InitializingBean;

import io.github.litestreamspring.autoconfigure.LitestreamProperties;
import io.github.litestreamspring.engine.restore.RestoreResult;

/**
 * Restores every database from its replicas when the application starts, before any DataSource is
 * created (every DataSource bean depends on this one): first each database without the lease (the long
 * part, while a previous holder still serves), then, database by database, takes the leases and brings
 * the file to where the replica ends ({@link DatabaseRestore}).
 */
public class LitestreamStartupRestore implements InitializingBean {

	private final List<DatabaseRestore> restores;

	/** Restores each of {@code databases}, in order (the DataSource's first), before any DataSource. */
	public LitestreamStartupRestore(List<LitestreamReplication> databases, LitestreamProperties.Restore properties) {
		this.restores = databases.stream().map((r) -> new DatabaseRestore(r, properties)).toList();
	}

	/** What happened at startup to the first (the DataSource's) database; {@code null} when restore is disabled. */
	public RestoreResult result() {
		return this.restores.get(0).result();
	}

	/** What happened at startup to every database, in order; {@code null} elements when restore is disabled. */
	public List<RestoreResult> results() {
		return this.restores.stream().map(DatabaseRestore::result).toList();
	}

	/** What happened at startup to each further database ({@code litestream.databases[]}), in order. */
	public List<RestoreResult> additionalResults() {
		List<RestoreResult> all = results();
		return all.subList(1, all.size());
	}

	/** Observes each database's restore (an {@code Observation} named {@code litestream.restore}). */
	public void setObserver(LitestreamOperationObserver observer) {
		this.restores.forEach((restore) -> restore.setObserver(observer));
	}

	@Override
	public void afterPropertiesSet() {
		this.restores.forEach(DatabaseRestore::observedRestore);
		this.restores.forEach(DatabaseRestore::takeLease);
	}

}
