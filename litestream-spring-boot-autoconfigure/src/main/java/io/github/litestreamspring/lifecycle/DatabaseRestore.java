package io.github.litestreamspring.lifecycle;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.lease.LeaseStoreUnreachableException;
import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.restore.Continuation;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.ReplicaChooser;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.autoconfigure.LitestreamConfigurationException;
import io.github.litestreamspring.autoconfigure.LitestreamProperties;

/**
 * One database's part of the startup restore ({@link LitestreamStartupRestore}): restores it from its
 * replicas before any DataSource is created. An existing database is kept unless the replica has moved
 * past it or forked from it ({@link ExistingDatabase}); a 0-byte file counts as missing; an empty but
 * reachable replica means a first start; an unreachable replica fails startup — starting empty there
 * would begin a new, newer generation and hide the real backup from the next restore.
 */
final class DatabaseRestore {

	private static final Logger logger = LoggerFactory.getLogger(DatabaseRestore.class);

	private final LitestreamReplication replication;

	private final LitestreamProperties.Restore properties;

	private volatile RestoreResult result;

	/** The replica the database was restored from at this start, or {@code null}. */
	private volatile Replica restoredFrom;

	private volatile LitestreamOperationObserver observer = LitestreamOperationObserver.NONE;

	DatabaseRestore(LitestreamReplication replication, LitestreamProperties.Restore properties) {
		this.replication = replication;
		this.properties = properties;
	}

	/** What happened at startup; {@code null} when restore is disabled. */
	RestoreResult result() {
		return this.result;
	}

	void setObserver(LitestreamOperationObserver observer) {
		this.observer = (observer != null) ? observer : LitestreamOperationObserver.NONE;
	}

	/**
	 * With leases on (the default), before the pool opens: takes every replica's lease — a live holder
	 * (the old instance of a rolling deploy) is asked to hand it over and stops writing; a crashed one is
	 * taken over after a TTL — and only then brings the database to where the replica ends, and
	 * continues its generation. Restoring first, without the lease, keeps the long part of the start out
	 * of the time during which no instance accepts writes.
	 */
	void takeLease() {
		Replicator replicator = this.replication.replicator();
		if (!replicator.leasesEnabled() || this.replication.follower() != null) {
			return;
		}
		Pos handedOver;
		try {
			handedOver = replicator.acquireLeases(this.replication.leaseAcquireTimeout());
		}
		catch (LeaseStoreUnreachableException ex) {
			logger.warn("{}: cannot reach the lease store, starting with writes refused (reads work) until the lease "
					+ "is ours: {}", this.replication.databasePath(), ex.getMessage());
			return;
		}
		if (!this.properties.isEnabled()) {
			return;
		}
		RestoreResult first = this.result;
		if (first != null && first.outcome() == RestoreResult.Outcome.RESTORED && this.restoredFrom != null) {
			continueRestored(first, handedOver);
		}
		else {
			// The kept database (or the empty start) was judged against the replica as it was before the
			// lease was ours: the previous holder may have written since. Judge again, restoring if needed.
			this.restoredFrom = null;
			restore();
			RestoreResult second = this.result;
			if (second != null && second.outcome() == RestoreResult.Outcome.RESTORED && this.restoredFrom != null) {
				continueRestored(second, null);
			}
		}
	}

	/**
	 * Catches the restored file up to the replica's end (the hand-over position, when there was one) and
	 * seeds its local state so that replication continues the generation with the next WAL index, no new
	 * snapshot. When that cannot be done, restores the replica's latest state again; failing that too,
	 * the generation cannot be continued and a new one starts — from the replica's complete state.
	 */
	private void continueRestored(RestoreResult restored, Pos target) {
		Path database = this.replication.databasePath();
		Path metaDir = this.replication.replicator().database().options().metaPath();
		Replica replica = this.restoredFrom;
		try {
			Continuation.continueAt(replica.client(), database, metaDir, restored.position(), target);
			return;
		}
		catch (LitestreamException ex) {
			logger.warn("{}: {}; restoring the replica's latest state again", database, ex.getMessage());
		}
		RestoreOptions again = new RestoreOptions(database, null, -1, null, this.properties.getParallelism(), false,
				false, true);
		this.result = new Restorer(replica.client()).restore(again);
		try {
			Continuation.continueAt(replica.client(), database, metaDir, this.result.position(), null);
		}
		catch (LitestreamException ex) {
			logger.info("{}: {}; replication starts a new generation from the restored state", database,
					ex.getMessage());
		}
	}

	void observedRestore() {
		if (this.replication.follower() != null) {
			this.observer.observe(LitestreamOperationObserver.Operation.RESTORE, this.replication, () -> {
				startFollowing();
				return null;
			}, (r) -> "follower");
			return;
		}
		if (!this.properties.isEnabled()) {
			restore();
			return;
		}
		this.observer.observe(LitestreamOperationObserver.Operation.RESTORE, this.replication, () -> {
			restore();
			return this.result;
		}, (r) -> (r != null) ? r.outcome().name().toLowerCase(java.util.Locale.ROOT) : "none");
	}

	/**
	 * A follower ({@code litestream.role=follower}) restores into its own copy and links the database path
	 * to it, whatever {@code litestream.restore.*} says (it serves only the replica's state); it never takes
	 * the lease.
	 */
	private void startFollowing() {
		LitestreamFollower follower = this.replication.follower();
		try {
			follower.startFollowing();
		}
		catch (LitestreamException ex) {
			throw new LitestreamConfigurationException(ex.getMessage(), "litestream.replicas",
					"Check the replica the primary writes to, and that it holds a backup; or set "
							+ "'litestream.role=primary'", ex);
		}
	}

	private void restore() {
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
		ExistingDatabase.Decision replaced = null;
		if (Files.exists(database)) {
			switch (ExistingDatabase.inspect(database)) {
				case EMPTY -> {
					// `touch`, a probe or `sqlite3 app.db .quit` leaves 0 bytes: no data, so no reason to
					// skip the restore and start a new, newer generation over the real backup.
					logger.warn("{}: the database file is empty (0 bytes); treating it as missing", database);
					deleteQuietly(database);
				}
				case NOT_SQLITE -> throw new LitestreamConfigurationException("the file " + database
						+ " is not a SQLite database (it does not begin with the SQLite header)", "spring.datasource.url",
						"Point 'spring.datasource.url' at the application's SQLite database, or move the file away to "
								+ "restore the database from its replica");
				case SQLITE -> {
					if (!this.properties.isIfDbNotExists()) {
						throw new LitestreamConfigurationException("the database " + database
								+ " already exists and restore on startup may not overwrite it",
								"litestream.restore.if-db-not-exists",
								"Set 'litestream.restore.if-db-not-exists=true' to keep an existing database, or remove the file");
					}
					ExistingDatabase.Decision decision = new ExistingDatabase(this.replication, this.properties).decide();
					if (decision.keep()) {
						logger.info("{}: database exists, not restoring", database);
						this.result = new RestoreResult(RestoreResult.Outcome.DATABASE_EXISTS, database, null, 0,
								java.time.Duration.ZERO);
						return;
					}
					replaced = decision;
				}
			}
		}
		List<Replica> candidates = chooseReplicas(options);
		if (candidates.isEmpty()) {
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
		// Best first; when a restore fails midway (store gone, object missing or damaged), the next
		// replica's backup is better than no start at all (Litestream #687). A failed restore leaves no
		// output behind, so the next attempt starts clean.
		List<String> restoreFailures = new ArrayList<>();
		for (int i = 0; i < candidates.size(); i++) {
			Replica replica = candidates.get(i);
			try {
				this.result = new Restorer(replica.client()).restore(options);
				this.restoredFrom = replica;
				ExistingDatabase.discard(replaced);
				return;
			}
			catch (LitestreamException ex) {
				restoreFailures.add("replica '" + replica.name() + "': " + ex.getMessage());
				if (i + 1 < candidates.size()) {
					logger.warn("{}: restore from replica '{}' failed, trying replica '{}': {}", database,
							replica.name(), candidates.get(i + 1).name(), ex.getMessage());
				}
				else if (candidates.size() == 1) {
					throw new LitestreamConfigurationException(ex.getMessage(), "litestream.replicas",
							"Check the replica named in the message, or restore to another path with the CLI", ex);
				}
			}
		}
		throw new LitestreamConfigurationException("cannot restore " + database + " from any replica: "
				+ String.join("; ", restoreFailures), "litestream.replicas",
				"Check the replicas named in the message, or restore to another path with the CLI");
	}

	private static void deleteQuietly(Path file) {
		try {
			Files.deleteIfExists(file);
		}
		catch (java.io.IOException ex) {
			throw new LitestreamConfigurationException("cannot delete the empty database file " + file + ": "
					+ ex.getMessage(), "spring.datasource.url", "Remove the empty file by hand", ex);
		}
	}

	/**
	 * The replicas with a matching backup, newest first; replicas that cannot be listed are skipped
	 * with a warning, and fail startup only if no other replica has a backup.
	 */
	private List<Replica> chooseReplicas(RestoreOptions options) {
		ReplicaChooser.Choice<Replica> choice = ReplicaChooser.choose(this.replication.replicas(), Replica::client,
				Replica::name, options);
		if (choice.unreadable()) {
			throw new LitestreamConfigurationException("cannot read the replicas to restore "
					+ this.replication.databasePath() + ": " + choice.describeFailures(), "litestream.replicas",
					"Check the replica URL, bucket, endpoint and credentials; or set "
							+ "'litestream.restore.enabled=false' to start without restoring");
		}
		for (ReplicaChooser.Failure<Replica> failure : choice.failures()) {
			logger.warn("{}: restoring from another replica because {}", this.replication.databasePath(),
					failure.describe());
		}
		return choice.candidates().stream().map(ReplicaChooser.Candidate::replica).toList();
	}

}
