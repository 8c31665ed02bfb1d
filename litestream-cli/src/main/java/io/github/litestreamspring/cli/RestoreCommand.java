package io.github.litestreamspring.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.springframework.boot.json.JsonWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;

/**
 * {@code restore}: Litestream's {@code restore}, plus {@code --dry-run}. The database is built in
 * {@code <output>.tmp}, checked with {@code PRAGMA integrity_check} and only then renamed, so a failed
 * restore leaves nothing at the output path.
 */
@Command(name = "restore", mixinStandardHelpOptions = true, sortOptions = false,
		description = { "Restore a database from a replica.",
				"With -config the output defaults to the chosen database (DB_PATH, -database NAME) or the "
						+ "application's (litestream.path or spring.datasource.url); with a REPLICA_URL, -o is required." })
final class RestoreCommand implements Callable<Integer> {

	@ParentCommand
	LitestreamCommand parent;

	@Spec
	CommandSpec spec;

	@Mixin
	ReplicaSelection selection;

	@Mixin
	PointInTime pointInTime;

	@Option(names = { "-o", "--o", "--output" }, paramLabel = "PATH", description = "Where to write the database.")
	Path output;

	@Option(names = { "-if-db-not-exists", "--if-db-not-exists" },
			description = "Do nothing (exit 0) if the output database already exists.")
	boolean ifDbNotExists;

	@Option(names = { "-if-replica-exists", "--if-replica-exists" },
			description = "Do nothing (exit 0) instead of failing if no replica holds a matching backup.")
	boolean ifReplicaExists;

	@Option(names = { "--force" }, description = "Replace an existing output database (and drop its -wal, -shm "
			+ "and -journal). Stop the application first.")
	boolean force;

	@Option(names = { "--dry-run" }, description = "Print the plan (snapshot, WAL segments, bytes to fetch); "
			+ "write nothing.")
	boolean dryRun;

	@Option(names = { "--json" }, description = "Print the plan or the result as JSON.")
	boolean json;

	@Override
	public Integer call() {
		this.selection.validate();
		PrintWriter out = this.spec.commandLine().getOut();
		PrintWriter err = this.spec.commandLine().getErr();
		Path target = outputPath();
		if (this.force && this.ifDbNotExists) {
			throw new ParameterException(this.spec.commandLine(), "give --force or -if-db-not-exists, not both");
		}
		RestoreOptions options = this.pointInTime.toOptions(target, this.ifDbNotExists, this.ifReplicaExists)
			.withOverwrite(this.force);
		if (Files.exists(target) && !this.force) {
			if (this.ifDbNotExists) {
				err.println(target + ": database already exists, skipping restore");
				printOutcome(out, RestoreResult.Outcome.DATABASE_EXISTS, target, null);
				return 0;
			}
			throw new CliException("cannot restore to " + target + ": the file already exists (remove it, "
					+ "restore to another path with -o, use -if-db-not-exists, or replace it with --force)");
		}
		try (OpenReplicas replicas = this.selection.open(this.parent.env(), target)) {
			Optional<ReplicaChoice> choice = ReplicaChoice.choose(replicas.all(), options, err);
			if (choice.isEmpty()) {
				String what = "no matching backups found in " + describe(replicas) + describe(options);
				if (this.ifReplicaExists) {
					err.println(what + "; nothing restored");
					printOutcome(out, RestoreResult.Outcome.NO_BACKUP, target, null);
					return 0;
				}
				throw new CliException(what);
			}
			choice.get().warnIfFellBack(err);
			if (this.dryRun) {
				new PlanPrinter(choice.get(), target).print(out, this.json);
				return 0;
			}
			RestoreResult result = new Restorer(choice.get().replica().client()).restore(options);
			if (this.json) {
				printOutcome(out, result.outcome(), target, result);
			}
			else {
				out.printf("restored %s from %s: generation %s up to WAL index %s, %s fetched in %.1f s (%s)%n",
						result.output(), choice.get().describe(), result.plan().generation(),
						Formats.hex(result.plan().lastIndex()), Formats.megabytes(result.downloadedBytes()),
						result.duration().toMillis() / 1000.0,
						Formats.mbPerSecond(result.downloadedBytes(), result.duration()));
				out.flush();
			}
			return 0;
		}
	}

	private Path outputPath() {
		if (this.output != null) {
			return this.output.toAbsolutePath();
		}
		if (this.selection.databaseArgument().isPresent()) {
			return this.selection.databaseArgument().get();
		}
		if (!this.selection.usesConfig()) {
			throw new ParameterException(this.spec.commandLine(), "restoring from a REPLICA_URL needs -o PATH");
		}
		Path database = this.selection.database(this.selection.configuration(this.parent.env())).path();
		if (database == null) {
			throw new ParameterException(this.spec.commandLine(), "the configuration names no database "
					+ "(litestream.path or spring.datasource.url); give -o PATH");
		}
		return database;
	}

	private void printOutcome(PrintWriter out, RestoreResult.Outcome outcome, Path target, RestoreResult result) {
		if (!this.json) {
			return;
		}
		Map<String, Object> json = new LinkedHashMap<>();
		json.put("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT));
		json.put("output", target.toString());
		if (result != null && result.plan() != null) {
			json.put("generation", result.plan().generation());
			json.put("index", Formats.hex(result.plan().lastIndex()));
			json.put("bytes", result.downloadedBytes());
			json.put("millis", result.duration().toMillis());
			json.put("skipped_generations", Formats.skipped(result.plan()));
		}
		out.println(JsonWriter.standard().writeToString(json));
		out.flush();
	}

	private static String describe(OpenReplicas replicas) {
		List<String> names = replicas.all().stream().map((r) -> r.client().describe()).toList();
		return String.join(", ", names);
	}

	private static String describe(RestoreOptions options) {
		StringBuilder sb = new StringBuilder();
		if (options.generation() != null) {
			sb.append(" generation=").append(options.generation());
		}
		if (options.index() >= 0) {
			sb.append(" index=").append(Formats.hex(options.index()));
		}
		if (options.timestamp() != null) {
			sb.append(" timestamp=").append(options.timestamp());
		}
		return (sb.length() > 0) ? " (" + sb.toString().trim() + ")" : "";
	}

}
