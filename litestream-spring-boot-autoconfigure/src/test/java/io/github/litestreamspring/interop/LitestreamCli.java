package io.github.litestreamspring.interop;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One-shot Litestream commands ({@code restore}, {@code generations}, {@code snapshots},
 * {@code wal}) with a time limit. Non-zero exit codes are returned, not thrown, so tests can
 * assert on failures; only a hang or a failure to start throws.
 * <p>
 * Every command takes a {@code target}: a replica URL such as {@code file:///abs/dir}, or,
 * together with a config file, the database path as written in that config (v0.3.13 looks
 * the database up by that path).
 */
public final class LitestreamCli {

	/** Time limit for every command. */
	public static final Duration TIMEOUT = Duration.ofSeconds(60);

	private LitestreamCli() {
	}

	/**
	 * Runs {@code litestream restore [-config C] -o output [extraFlags] target}.
	 * @param output where to write the restored database (must not exist unless
	 * {@code -if-db-not-exists} is given)
	 * @param target a replica URL, or with {@code configOrNull} the database path
	 * @param configOrNull a config file, or {@code null}
	 * @param extraFlags e.g. {@code "-timestamp", "2024-01-01T00:00:00Z"}, {@code "-generation", id},
	 * {@code "-index", "0000000a"}, {@code "-if-db-not-exists"}, {@code "-if-replica-exists"}
	 */
	public static CommandResult restore(Path output, String target, Path configOrNull, String... extraFlags) {
		List<String> flags = new ArrayList<>(List.of("-o", output.toAbsolutePath().toString()));
		flags.addAll(Arrays.asList(extraFlags));
		return run("restore", target, configOrNull, flags);
	}

	/** Runs {@code litestream generations [-config C] [extraFlags] target}: a table with a header. */
	public static CommandResult generations(String target, Path configOrNull, String... extraFlags) {
		return run("generations", target, configOrNull, Arrays.asList(extraFlags));
	}

	/** Runs {@code litestream snapshots [-config C] [extraFlags] target}: a table with a header. */
	public static CommandResult snapshots(String target, Path configOrNull, String... extraFlags) {
		return run("snapshots", target, configOrNull, Arrays.asList(extraFlags));
	}

	/** Runs {@code litestream wal [-config C] [extraFlags] target}: a table with a header. */
	public static CommandResult wal(String target, Path configOrNull, String... extraFlags) {
		return run("wal", target, configOrNull, Arrays.asList(extraFlags));
	}

	/** Runs {@code litestream <args>} verbatim. */
	public static CommandResult run(String... args) {
		List<String> command = new ArrayList<>();
		command.add(LitestreamBinary.get().toString());
		command.addAll(Arrays.asList(args));
		return Commands.run(command, null, TIMEOUT);
	}

	/**
	 * The data rows (header removed) of a table printed by {@code generations}, {@code snapshots}
	 * or {@code wal}, each split on whitespace.
	 */
	public static List<List<String>> rows(CommandResult result) {
		List<List<String>> rows = new ArrayList<>();
		String[] lines = result.stdout().strip().split("\n");
		for (int i = 1; i < lines.length; i++) {
			if (!lines[i].isBlank()) {
				rows.add(List.of(lines[i].strip().split("\\s+")));
			}
		}
		return rows;
	}

	private static CommandResult run(String subcommand, String target, Path configOrNull, List<String> flags) {
		List<String> args = new ArrayList<>();
		args.add(subcommand);
		if (configOrNull != null) {
			args.add("-config");
			args.add(configOrNull.toAbsolutePath().toString());
		}
		args.addAll(flags);
		args.add(target);
		return run(args.toArray(String[]::new));
	}

}
