package io.github.litestreamspring.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.json.JsonWriter;

import io.github.litestreamspring.engine.CompactedWalInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.restore.IncompleteGeneration;
import io.github.litestreamspring.engine.restore.RestorePlan;

/** Prints what {@code restore --dry-run} would fetch: the snapshot, every WAL segment, the total. */
final class PlanPrinter {

	private final ReplicaChoice choice;

	private final Path output;

	PlanPrinter(ReplicaChoice choice, Path output) {
		this.choice = choice;
		this.output = output;
	}

	void print(PrintWriter out, boolean json) {
		RestorePlan plan = this.choice.plan();
		if (json) {
			out.println(JsonWriter.standard().writeToString(toMap(plan)));
			out.flush();
			return;
		}
		out.println("dry run: nothing is written");
		out.println("output:      " + this.output);
		out.println("replica:     " + this.choice.describe());
		out.println("generation:  " + plan.generation());
		for (IncompleteGeneration skipped : plan.skipped()) {
			out.println("skipped:     " + skipped.describe());
		}
		out.printf("snapshot:    index %s, %d bytes, created %s%n", Formats.hex(plan.snapshot().index()),
				plan.snapshot().size(), Formats.time(plan.snapshot().createdAt()));
		int compacted = plan.compacted().size();
		out.printf("wal:         %d segments%s, indexes %s to %s%n", plan.segments().size() - compacted,
				(compacted > 0) ? " and " + compacted + " compacted objects" : "", Formats.hex(plan.snapshot().index()),
				Formats.hex(plan.lastIndex()));
		Table segments = new Table("  index", "offset", "size", "created", "object");
		for (WalSegmentInfo s : plan.segments()) {
			segments.row("  " + Formats.hex(s.index()), Formats.hex(s.offset()), s.size(), Formats.time(s.createdAt()),
					describe(plan.compacted().get(s.pos())));
		}
		if (!plan.segments().isEmpty()) {
			segments.print(out);
		}
		out.printf("fetch:       %d bytes (%s) in %d objects%n", plan.bytes(), Formats.megabytes(plan.bytes()),
				plan.segments().size() + 1);
		out.flush();
	}

	/** "segment", or the compacted object's range: it stands for every segment in it. */
	private static String describe(CompactedWalInfo compacted) {
		if (compacted == null) {
			return "segment";
		}
		return "compacted to " + Formats.hex(compacted.end()) + (compacted.sealed() ? " (whole index)" : "");
	}

	private Map<String, Object> toMap(RestorePlan plan) {
		Map<String, Object> map = new LinkedHashMap<>();
		map.put("output", this.output.toString());
		map.put("replica", this.choice.replica().name());
		map.put("url", this.choice.replica().client().describe());
		map.put("generation", plan.generation());
		map.put("skipped_generations", Formats.skipped(plan));
		Map<String, Object> snapshot = new LinkedHashMap<>();
		snapshot.put("index", Formats.hex(plan.snapshot().index()));
		snapshot.put("size", plan.snapshot().size());
		snapshot.put("created", plan.snapshot().createdAt());
		map.put("snapshot", snapshot);
		List<Object> segments = new ArrayList<>();
		for (WalSegmentInfo s : plan.segments()) {
			Map<String, Object> segment = new LinkedHashMap<>();
			segment.put("index", Formats.hex(s.index()));
			segment.put("offset", Formats.hex(s.offset()));
			segment.put("size", s.size());
			segment.put("created", s.createdAt());
			CompactedWalInfo c = plan.compacted().get(s.pos());
			if (c != null) {
				segment.put("compacted_end", Formats.hex(c.end()));
			}
			segments.add(segment);
		}
		map.put("segments", segments);
		map.put("last_index", Formats.hex(plan.lastIndex()));
		map.put("bytes", plan.bytes());
		return map;
	}

}
