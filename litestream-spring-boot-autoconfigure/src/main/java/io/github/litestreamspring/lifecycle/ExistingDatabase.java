package io.github.litestreamspring.lifecycle;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.db.LocalHistory;
import io.github.litestreamspring.engine.db.LocalState;
import io.github.litestreamspring.engine.restore.DivergenceCheck;
import io.github.litestreamspring.autoconfigure.LitestreamConfigurationException;
import io.github.litestreamspring.autoconfigure.LitestreamProperties;

/**
 * Decides at startup whether an existing database is kept or replaced by the replica's latest state
 * (issue: a local database behind the replica must not silently win). The local history is compared
 * with every replica that can be listed ({@link DivergenceCheck}):
 * <ul>
 * <li>the replica holds everything the local database has and more: the replica's state is restored
 * (the local files are moved aside and deleted once the restore succeeded), unless
 * {@code on-divergence=local};</li>
 * <li>each side holds commits the other lacks (a fork): startup fails naming both positions, or
 * {@code on-divergence} chooses (the local files are then kept beside the database);</li>
 * <li>otherwise (first start with an existing database, ordinary restart, replica behind): the local
 * database is kept.</li>
 * </ul>
 * A replica that cannot be listed does not hold the start up: the engine checks again when it ships.
 */
final class ExistingDatabase {

	private static final Logger logger = LoggerFactory.getLogger(ExistingDatabase.class);

	private static final byte[] SQLITE_HEADER = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);

	private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
		.withZone(ZoneOffset.UTC);

	enum Kind {

		EMPTY, NOT_SQLITE, SQLITE

	}

	/**
	 * @param keep whether the existing database stays
	 * @param movedAside where it was moved when it does not, {@code null} otherwise
	 * @param discardAfterRestore whether the moved copy holds nothing the replica lacks
	 */
	record Decision(boolean keep, Path movedAside, boolean discardAfterRestore) {

	}

	private final LitestreamReplication replication;

	private final LitestreamProperties.Restore properties;

	ExistingDatabase(LitestreamReplication replication, LitestreamProperties.Restore properties) {
		this.replication = replication;
		this.properties = properties;
	}

	static Kind inspect(Path database) {
		try (InputStream in = Files.newInputStream(database)) {
			byte[] header = in.readNBytes(SQLITE_HEADER.length);
			if (header.length == 0) {
				return Kind.EMPTY;
			}
			return Arrays.equals(header, SQLITE_HEADER) ? Kind.SQLITE : Kind.NOT_SQLITE;
		}
		catch (IOException ex) {
			throw new LitestreamConfigurationException("cannot read the database " + database + ": " + ex.getMessage(),
					"spring.datasource.url", "Check the file's permissions", ex);
		}
	}

	Decision decide() {
		Path database = this.replication.databasePath();
		LocalState state = this.replication.replicator().database().localState();
		LocalHistory local;
		try {
			local = LocalHistory.read(database, state.metaDir());
		}
		catch (IOException | RuntimeException ex) {
			logger.warn("{}: cannot read the local replication state in {} ({}); keeping the local database", database,
					state.metaDir(), ex.getMessage());
			return new Decision(true, null, false);
		}
		DivergenceCheck.Result fork = null;
		DivergenceCheck.Result behind = null;
		Replica forkReplica = null;
		for (Replica replica : this.replication.replicas()) {
			try {
				DivergenceCheck.Result result = new DivergenceCheck(replica.client()).check(local);
				logger.debug("{}: replica '{}': {} ({})", database, replica.name(), result.verdict(), result.reason());
				if (result.verdict() == DivergenceCheck.Verdict.FORK && fork == null) {
					fork = result;
					forkReplica = replica;
				}
				else if (result.verdict() == DivergenceCheck.Verdict.LOCAL_BEHIND && behind == null) {
					behind = result;
				}
			}
			catch (IOException | LitestreamException ex) {
				logger.warn("{}: cannot compare the local database with replica '{}' ({}); keeping the local database",
						database, replica.name(), ex.getMessage());
			}
		}
		LitestreamProperties.OnDivergence policy = this.properties.getOnDivergence();
		if (fork != null) {
			String what = database + " and replica '" + forkReplica.name() + "' have diverged: " + fork.reason()
					+ " (local history ends at " + fork.local() + ", the replica's at " + fork.replica() + ")";
			switch (policy) {
				case FAIL -> throw new LitestreamConfigurationException(what, "litestream.restore.on-divergence",
						"Decide which side wins: 'litestream.restore.on-divergence=replica' moves the local database "
								+ "aside and restores the replica's latest state; 'litestream.restore.on-divergence=local' "
								+ "keeps the local database (it starts a new generation; the replica's newer commits stay "
								+ "restorable by generation)");
				case LOCAL -> {
					logger.warn("{}; keeping the local database (on-divergence=local): a new generation starts", what);
					return new Decision(true, null, false);
				}
				case REPLICA -> {
					Path aside = moveAside(database, state);
					logger.warn("{}; restoring the replica's latest state (on-divergence=replica); the local database "
							+ "is kept at {}", what, aside);
					return new Decision(false, aside, false);
				}
			}
		}
		if (behind != null) {
			if (policy == LitestreamProperties.OnDivergence.LOCAL) {
				logger.warn("{}: {}; keeping the local database (on-divergence=local): a new generation starts", database,
						behind.reason());
				return new Decision(true, null, false);
			}
			Path aside = moveAside(database, state);
			logger.warn("{}: {}; restoring the replica's latest state over the local database (local history ends at "
					+ "{}, the replica's at {})", database, behind.reason(), behind.local(), behind.replica());
			return new Decision(false, aside, true);
		}
		return new Decision(true, null, false);
	}

	/** Moves the database and its WAL aside (the shared-memory file goes) and forgets its generation. */
	private static Path moveAside(Path database, LocalState state) {
		Path aside = database.resolveSibling(database.getFileName() + ".replaced-" + STAMP.format(Instant.now()));
		try {
			Files.move(database, aside);
			Path wal = database.resolveSibling(database.getFileName() + "-wal");
			if (Files.exists(wal)) {
				Files.move(wal, aside.resolveSibling(aside.getFileName() + "-wal"));
			}
			Files.deleteIfExists(database.resolveSibling(database.getFileName() + "-shm"));
			Files.deleteIfExists(database.resolveSibling(database.getFileName() + "-journal"));
			state.clearGeneration();
			return aside;
		}
		catch (IOException ex) {
			throw new LitestreamConfigurationException("cannot move " + database + " aside to restore the replica: "
					+ ex.getMessage(), "spring.datasource.url", "Check the directory's permissions", ex);
		}
	}

	/** Deletes a moved-aside copy that holds nothing the replica lacks, once the restore succeeded. */
	static void discard(Decision decision) {
		if (decision == null || decision.movedAside() == null || !decision.discardAfterRestore()) {
			return;
		}
		Path aside = decision.movedAside();
		try {
			Files.deleteIfExists(aside);
			Files.deleteIfExists(aside.resolveSibling(aside.getFileName() + "-wal"));
		}
		catch (IOException ex) {
			logger.warn("{}: cannot delete the replaced copy: {}", aside, ex.getMessage());
		}
	}

}
