package io.github.litestreamspring.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.springframework.boot.json.JsonWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import io.github.litestreamspring.engine.restore.IncompleteGeneration;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;

/**
 * {@code verify}: proves a replica can be restored. Restores (latest, or the point in time given) to a
 * scratch file, runs {@code PRAGMA integrity_check} on it, reports the result and the time each step
 * took, and deletes the scratch file unless {@code -o} asked to keep it.
 */
@Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
		description = "Restore to a scratch file and run PRAGMA integrity_check; exit 0 only if it says ok.")
final class VerifyCommand implements Callable<Integer> {

	@ParentCommand
	LitestreamCommand parent;

	@Spec
	CommandSpec spec;

	@Mixin
	ReplicaSelection selection;

	@Mixin
	PointInTime pointInTime;

	@Option(names = { "-o", "--output" }, paramLabel = "PATH",
			description = "Keep the restored database here (must not exist) instead of a deleted scratch file.")
	Path keep;

	@Option(names = { "--json" }, description = "Print the result as JSON.")
	boolean json;

	@Override
	public Integer call() throws IOException, SQLException {
		this.selection.validate();
		Path scratchDir = (this.keep == null) ? Files.createTempDirectory("litestream-verify-") : null;
		Path target = (this.keep != null) ? this.keep.toAbsolutePath() : scratchDir.resolve("verify.db");
		RestoreOptions options = this.pointInTime.toOptions(target, false, false);
		try (OpenReplicas replicas = this.selection.open(this.parent.env(), null)) {
			PrintWriter err = this.spec.commandLine().getErr();
			ReplicaChoice choice = ReplicaChoice.choose(replicas.all(), options, err)
				.orElseThrow(() -> new CliException("no matching backups found in "
						+ String.join(", ", replicas.all().stream().map((r) -> r.client().describe()).toList())));
			choice.warnIfFellBack(err);
			RestoreResult restored = new Restorer(choice.replica().client()).restore(options);
			long started = System.nanoTime();
			List<String> problems = integrityCheck(target);
			Duration check = Duration.ofNanos(System.nanoTime() - started);
			report(choice, restored, problems, check, Files.size(target));
			if (!problems.isEmpty()) {
				return LitestreamCommand.ERROR;
			}
			return restored.plan().fellBack() ? LitestreamCommand.FELL_BACK : 0;
		}
		finally {
			if (scratchDir != null) {
				for (String suffix : new String[] { "", "-wal", "-shm", ".tmp" }) {
					Files.deleteIfExists(scratchDir.resolve("verify.db" + suffix));
				}
				Files.deleteIfExists(scratchDir);
			}
		}
	}

	private void report(ReplicaChoice choice, RestoreResult restored, List<String> problems, Duration check,
			long size) {
		PrintWriter out = this.spec.commandLine().getOut();
		String result = problems.isEmpty() ? "ok" : String.join("; ", problems);
		if (this.json) {
			Map<String, Object> map = new LinkedHashMap<>();
			map.put("ok", problems.isEmpty());
			map.put("fell_back", restored.plan().fellBack());
			map.put("skipped_generations", Formats.skipped(restored.plan()));
			map.put("integrity_check", result);
			map.put("replica", choice.replica().name());
			map.put("url", choice.replica().client().describe());
			map.put("generation", restored.plan().generation());
			map.put("index", Formats.hex(restored.plan().lastIndex()));
			map.put("fetched_bytes", restored.downloadedBytes());
			map.put("database_bytes", size);
			map.put("restore_millis", restored.duration().toMillis());
			map.put("check_millis", check.toMillis());
			map.put("kept", (this.keep != null) ? restored.output().toString() : null);
			out.println(JsonWriter.standard().writeToString(map));
		}
		else {
			out.printf("replica:          %s%n", choice.describe());
			out.printf("generation:       %s up to WAL index %s%n", restored.plan().generation(),
					Formats.hex(restored.plan().lastIndex()));
			for (IncompleteGeneration skipped : restored.plan().skipped()) {
				out.printf("skipped:          %s: FELL BACK past it, its commits are not restored%n",
						skipped.describe());
			}
			out.printf("restore:          %s fetched in %d ms (%s), database %d bytes%n",
					Formats.megabytes(restored.downloadedBytes()), restored.duration().toMillis(),
					Formats.mbPerSecond(restored.downloadedBytes(), restored.duration()), size);
			out.printf("integrity_check:  %s (%d ms)%n", result, check.toMillis());
			if (this.keep != null) {
				out.printf("kept:             %s%n", restored.output());
			}
		}
		out.flush();
	}

	/** The rows of {@code PRAGMA integrity_check} that are not "ok"; empty for a sound database. */
	static List<String> integrityCheck(Path database) throws SQLException {
		List<String> problems = new ArrayList<>();
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database + "?open_mode=1");
				Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("PRAGMA integrity_check")) {
			while (rs.next()) {
				if (!"ok".equals(rs.getString(1))) {
					problems.add(rs.getString(1));
				}
			}
		}
		return problems;
	}

}
