package io.github.litestreamspring.cli;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import picocli.CommandLine.Command;

import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

/** {@code generations}: Litestream's listing of generations, with lag and the time range each covers. */
@Command(name = "generations", mixinStandardHelpOptions = true,
		description = "List the generations of each replica: name, generation, lag, start, end.")
final class GenerationsCommand extends Listing {

	@Override
	Table table() {
		return new Table("name", "generation", "lag", "start", "end");
	}

	@Override
	void list(String name, ReplicaClient client, Table table, List<Map<String, Object>> rows) throws IOException {
		Instant now = Instant.now();
		for (String generation : client.generations()) {
			List<SnapshotInfo> snapshots = client.snapshots(generation);
			List<WalSegmentInfo> segments = client.walSegments(generation);
			List<Instant> times = Stream
				.concat(snapshots.stream().map(SnapshotInfo::createdAt), segments.stream().map(WalSegmentInfo::createdAt))
				.sorted()
				.toList();
			Instant start = times.isEmpty() ? null : times.get(0);
			Instant end = times.isEmpty() ? null : times.get(times.size() - 1);
			Duration lag = (end != null) ? Duration.between(end, now) : null;
			table.row(name, generation, (lag != null) ? Formats.goDuration(lag) : "-", Formats.time(start),
					Formats.time(end));
			Map<String, Object> row = new LinkedHashMap<>();
			row.put("replica", name);
			row.put("url", client.describe());
			row.put("generation", generation);
			row.put("lag_seconds", (lag != null) ? lag.getSeconds() : null);
			row.put("start", start);
			row.put("end", end);
			row.put("snapshots", snapshots.size());
			row.put("wal_segments", segments.size());
			row.put("bytes", snapshots.stream().mapToLong(SnapshotInfo::size).sum()
					+ segments.stream().mapToLong(WalSegmentInfo::size).sum());
			rows.add(row);
		}
	}

}
