package io.github.litestreamspring.benchmarks;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;

import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Restore time against history length (issue #16, benchmark (b)): for each history length, a replica of a
 * small database whose every transaction was shipped as its own WAL segment (as low-latency shipping does
 * under a light load, all day), next to a replica of the very same final state as a snapshot only. Both
 * are restored by both tools, through a proxy that adds a fixed latency to every request (benchmark (a)),
 * as real S3 has. A restore whose cost did not grow with history would take about as long for the two.
 */
final class HistoryRuns {

	/**
	 * One history length: the replica with its segments (and compacted WAL), and the same final state as
	 * a snapshot only.
	 */
	record Point(int segments, RestoreRuns.Replica history, RestoreRuns.Replica snapshot, int compactedWals) {
	}

	private final BenchmarkConfig config;

	private final RestoreRuns restores;

	HistoryRuns(BenchmarkConfig config, S3ProxyServer s3proxy, S3Client direct, URI endpoint) {
		this.config = config;
		this.restores = new RestoreRuns(config, s3proxy, direct, endpoint);
	}

	RestoreRuns restores() {
		return this.restores;
	}

	/** Writes both replicas of one history length. */
	Point build(int segments) throws Exception {
		Path dir = Files.createDirectories(this.config.workDir().resolve("history-" + segments));
		Path db = dir.resolve("history.db");
		for (String suffix : List.of("", "-wal", "-shm")) {
			Files.deleteIfExists(dir.resolve("history.db" + suffix));
		}
		WriterMain.createSchema(db);
		String root = "history-" + segments + "-" + System.nanoTime();
		this.restores.replicate(db, root, Side.OURS_LOW_LATENCY, (replicator) -> {
			try (Connection c = WriterMain.open(db);
					PreparedStatement insert = c.prepareStatement("INSERT INTO t (payload) VALUES (?)")) {
				for (int i = 1; i <= segments; i++) {
					insert.setString(1, String.format("%0" + WriterMain.PAYLOAD_BYTES + "d", i));
					insert.executeUpdate();
					replicator.syncNow();
				}
			}
		});
		RestoreRuns.Replica history = new RestoreRuns.Replica(segments + " segments", root, segments, Files.size(db),
				this.restores.walSegments(root));
		// The same final state, replicated afresh: one snapshot, no history.
		Path copy = dir.resolve("snapshot.db");
		Files.copy(db, copy, StandardCopyOption.REPLACE_EXISTING);
		String snapshotRoot = root + "-snapshot";
		this.restores.replicate(copy, snapshotRoot, Side.OURS_DEFAULT, null);
		RestoreRuns.Replica snapshot = new RestoreRuns.Replica(segments + " segments' final state as a snapshot",
				snapshotRoot, segments, Files.size(copy), this.restores.walSegments(snapshotRoot));
		return new Point(segments, history, snapshot, this.restores.compactedWals(root));
	}

	/** Builds every history length of the configuration, shortest first. */
	List<Point> buildAll() throws Exception {
		List<Point> points = new ArrayList<>();
		for (int segments : this.config.historySegments()) {
			Benchmark.progress("building a history of " + segments + " WAL segments (one commit each) and its snapshot");
			points.add(build(segments));
		}
		return points;
	}

}
