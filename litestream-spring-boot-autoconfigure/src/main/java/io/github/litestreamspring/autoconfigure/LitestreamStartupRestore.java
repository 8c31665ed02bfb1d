package io.github.litestreamspring.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.Replica;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestorePlan;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;

/**
 * Restores the database from its replicas when the application starts, before any DataSource is
 * created (every DataSource bean depends on this one). An existing database is left alone; an empty
 * but reachable replica means a first start; an unreachable replica fails startup — starting empty
 * there would begin a new, newer generation and hide the real backup from the next restore.
 */
public class LitestreamStartupRestore implements InitializingBean {

	private static final Logger logger = LoggerFactory.getLogger(LitestreamStartupRestore.class);

	private final LitestreamReplication replication;

	private final LitestreamProperties.Restore properties;

	private volatile RestoreResult result;

	LitestreamStartupRestore(LitestreamReplication replication, LitestreamProperties.Restore properties) {
		this.replication = replication;
		this.properties = properties;
	}

	/** What happened at startup; {@code null} when restore is disabled. */
	public RestoreResult result() {
		return this.result;
	}

	@Override
	public void afterPropertiesSet() {
		Path database = this.replication.databasePath();
		try {
			// SQLite creates the file but not its directory; a fresh instance may have neither.
			Files.createDirectories(database.getParent());
		}
		catch (java.io.IOException ex) {
			throw new LitestreamConfigurationException("cannot create the directory of " + database + ": "
					+ ex.getMessage(), "spring.datasource.url", "Point the database at a writable directory", ex);
		}
		if (!this.properties.isEnabled()) {
			return;
		}
		RestoreOptions options = new RestoreOptions(database, null, -1, this.properties.getTimestamp(),
				this.properties.getParallelism(), this.properties.isIfDbNotExists(), false, false);
		if (Files.exists(database)) {
			if (this.properties.isIfDbNotExists()) {
				logger.info("{}: database exists, not restoring", database);
				this.result = new RestoreResult(RestoreResult.Outcome.DATABASE_EXISTS, database, null, 0,
						java.time.Duration.ZERO);
				return;
			}
			throw new LitestreamConfigurationException("the database " + database
					+ " already exists and restore on startup may not overwrite it", "litestream.restore.if-db-not-exists",
					"Set 'litestream.restore.if-db-not-exists=true' to keep an existing database, or remove the file");
		}
		Replica best = chooseReplica(options);
		if (best == null) {
			if (this.properties.isIfReplicaExists()) {
				logger.info("{}: no backup in any replica, starting with a new database", database);
				this.result = new RestoreResult(RestoreResult.Outcome.NO_BACKUP, database, null, 0,
						java.time.Duration.ZERO);
				return;
			}
			throw new LitestreamConfigurationException("no replica holds a backup of " + database,
					"litestream.restore.if-replica-exists",
					"Set 'litestream.restore.if-replica-exists=true' to start with an empty database");
		}
		try {
			this.result = new Restorer(best.client()).restore(options);
		}
		catch (LitestreamException ex) {
			throw new LitestreamConfigurationException(ex.getMessage(), "litestream.replicas",
					"Check the replica named in the message, or restore to another path with the CLI", ex);
		}
	}

	/** The replica with the newest matching backup; replicas that cannot be listed fail startup. */
	private Replica chooseReplica(RestoreOptions options) {
		Replica best = null;
		Instant bestUpdated = null;
		List<String> failures = new ArrayList<>();
		for (Replica replica : this.replication.replicas()) {
			try {
				Optional<RestorePlan> plan = new Restorer(replica.client()).plan(options);
				if (plan.isPresent() && (bestUpdated == null || plan.get().updatedAt().isAfter(bestUpdated))) {
					best = replica;
					bestUpdated = plan.get().updatedAt();
				}
			}
			catch (LitestreamException ex) {
				failures.add("replica '" + replica.name() + "': " + ex.getMessage());
			}
		}
		if (!failures.isEmpty() && best == null) {
			throw new LitestreamConfigurationException("cannot read the replicas to restore "
					+ this.replication.databasePath() + ": " + String.join("; ", failures), "litestream.replicas",
					"Check the replica URL, bucket, endpoint and credentials; or set "
							+ "'litestream.restore.enabled=false' to start without restoring");
		}
		for (String failure : failures) {
			logger.warn("{}: restoring from another replica because {}", this.replication.databasePath(), failure);
		}
		return best;
	}

}
