package io.github.litestreamspring.cli;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.WalSegmentInfo;

/** {@code wal}: every WAL segment object, as Litestream lists them (index and offset in decimal). */
@Command(name = "wal", mixinStandardHelpOptions = true,
		description = "List WAL segments: replica, generation, index, offset, size, created.")
final class WalCommand extends Listing {

	@Option(names = { "-generation", "--generation" }, paramLabel = "ID", description = "Only this generation.")
	String generation;

	@Override
	Table table() {
		return new Table("replica", "generation", "index", "offset", "size", "created");
	}

	@Override
	void list(String name, ReplicaClient client, Table table, List<Map<String, Object>> rows) throws IOException {
		for (String g : generations(client, this.generation)) {
			for (WalSegmentInfo s : client.walSegments(g)) {
				table.row(name, g, s.index(), s.offset(), s.size(), Formats.time(s.createdAt()));
				Map<String, Object> row = new LinkedHashMap<>();
				row.put("replica", name);
				row.put("generation", g);
				row.put("index", s.index());
				row.put("index_hex", Formats.hex(s.index()));
				row.put("offset", s.offset());
				row.put("size", s.size());
				row.put("created", s.createdAt());
				rows.add(row);
			}
		}
	}

}
