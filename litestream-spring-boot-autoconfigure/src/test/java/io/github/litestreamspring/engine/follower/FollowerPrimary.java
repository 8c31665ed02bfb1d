package io.github.litestreamspring.engine.follower;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The primary of the follower tests, in the test's JVM: a real {@link Replicator} on its own file,
 * writing one row of {@code seq(n)} per transaction (n = 1, 2, 3, ...), with small checkpoint thresholds
 * so that the WAL index moves on often.
 */
final class FollowerPrimary implements AutoCloseable {

	private final Path db;

	private final ReplicaClient client;

	private final Connection connection;

	private final AtomicLong written = new AtomicLong();

	private Replicator replicator;

	FollowerPrimary(Path db, ReplicaClient client) throws SQLException {
		this.db = db;
		this.client = client;
		this.connection = TestDatabase.open(db);
		try (Statement st = this.connection.createStatement()) {
			st.execute("CREATE TABLE IF NOT EXISTS seq (n INTEGER PRIMARY KEY, payload TEXT)");
		}
		start();
	}

	void start() {
		DatabaseOptions options = DatabaseOptions.defaults(this.db)
			.withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1))
			.withCheckpointPageCounts(30, 120, 0);
		Replica replica = new Replica(ReplicaOptions.defaults("s3").withSyncInterval(Duration.ofMillis(50)),
				this.client);
		this.replicator = new Replicator(options, List.of(replica));
		this.replicator.start();
	}

	/** Stops replicating and forgets the local state, so that the next {@link #start()} begins a new generation. */
	void restartWithNewGeneration() throws Exception {
		this.replicator.syncNow();
		this.replicator.stop();
		Path meta = this.db.resolveSibling("." + this.db.getFileName() + "-litestream");
		try (Stream<Path> files = Files.walk(meta)) {
			for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
				Files.delete(p);
			}
		}
		start();
	}

	Path database() {
		return this.db;
	}

	Replicator replicator() {
		return this.replicator;
	}

	/** The replica the primary writes. */
	ReplicaClient client() {
		return this.client;
	}

	/** Commits the next row; returns its number. */
	long writeOne() throws SQLException {
		long n = this.written.get() + 1;
		try (PreparedStatement ps = this.connection.prepareStatement("INSERT INTO seq (n, payload) VALUES (?, ?)")) {
			ps.setLong(1, n);
			ps.setString(2, "x".repeat(300));
			ps.executeUpdate();
		}
		this.written.set(n);
		this.replicator.notifyChange();
		return n;
	}

	/** Rows up to {@code n} were written outside {@link #writeOne()}. */
	void wroteUpTo(long n) {
		this.written.set(n);
	}

	long written() {
		return this.written.get();
	}

	/**
	 * One read of a follower's database through a new connection: asserts integrity of what it sees (rows
	 * 1..M, no hole) and returns M.
	 */
	static long readPrefix(Path followerDb) throws SQLException {
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + followerDb)) {
			return readPrefix(c);
		}
	}

	static long readPrefix(Connection c) throws SQLException {
		try (Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("SELECT COUNT(*), COALESCE(MIN(n), 0), COALESCE(MAX(n), 0) FROM seq")) {
			rs.next();
			long count = rs.getLong(1);
			assertThat(count).as("rows vs. highest row (a hole)").isEqualTo(rs.getLong(3));
			if (count > 0) {
				assertThat(rs.getLong(2)).as("lowest row").isEqualTo(1);
			}
			return count;
		}
	}

	@Override
	public void close() throws Exception {
		try {
			this.replicator.stop();
		}
		finally {
			this.connection.close();
		}
	}

}
