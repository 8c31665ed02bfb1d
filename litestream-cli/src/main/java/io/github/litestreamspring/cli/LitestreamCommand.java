package io.github.litestreamspring.cli;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import io.github.litestreamspring.engine.LitestreamException;

/**
 * {@code litestream-cli}: restore and inspect Litestream-compatible replicas without the application,
 * configured from the application's own {@code application.yml}. Results (tables, JSON, plans) go to
 * stdout; logs, progress and errors to stderr.
 */
@Command(name = "litestream-cli", mixinStandardHelpOptions = true, versionProvider = LitestreamCommand.Version.class,
		description = "Restore and inspect Litestream-compatible SQLite replicas (file and S3).",
		exitCodeListHeading = "%nExit codes:%n",
		exitCodeList = { "0:Success (also when -if-db-not-exists or -if-replica-exists made restore do nothing).",
				"1:Error: nothing matched, the replica cannot be read, the restore or verification failed.",
				"2:Usage error: unknown or conflicting options.",
				"3:verify: the restore is sound, but a newer generation without snapshot was skipped (see the warning)." })
public final class LitestreamCommand implements Callable<Integer> {

	/** Exit code of a failed command. */
	public static final int ERROR = 1;

	/** Exit code of a command line that does not parse. */
	public static final int USAGE = 2;

	/**
	 * Exit code of a {@code verify} whose restore is sound but fell back past a newer generation that has
	 * WAL and no snapshot: its commits are in no restore, which a scheduled check must not call success.
	 */
	public static final int FELL_BACK = 3;

	/**
	 * The subcommands, in the order the usage lists them. Not in the {@code @Command} annotation: picocli
	 * would build the model of each one (reflection over its annotated fields, mixins and help options),
	 * which was half of picocli's share of a restore's start-up; a command line builds only the one it runs.
	 */
	private static final Map<String, Supplier<Object>> SUBCOMMANDS = subcommands();

	private final Map<String, String> env;

	@Spec
	CommandSpec spec;

	LitestreamCommand(Map<String, String> env) {
		this.env = Map.copyOf(env);
	}

	public static void main(String[] args) {
		System.exit(commandLine(System.getenv(), args).execute(args));
	}

	/**
	 * The command line with every subcommand and its error handling; {@code env} stands in for the process
	 * environment so that tests can configure it.
	 */
	static CommandLine commandLine(Map<String, String> env) {
		return commandLine(env, new String[0]);
	}

	/**
	 * The command line that will execute {@code args}: when the first argument names a subcommand, with
	 * that subcommand only (what runs, its usage and its errors are the same as with all of them: picocli
	 * never looks at a sibling once a subcommand is chosen); otherwise (no arguments, {@code help COMMAND},
	 * {@code --version}, an unknown command, an {@code @argfile}) with all of them, for the usage and
	 * picocli's suggestions.
	 */
	static CommandLine commandLine(Map<String, String> env, String... args) {
		CommandLine commandLine = new CommandLine(new LitestreamCommand(env));
		// help COMMAND shows the others' usage: it needs them all.
		Supplier<Object> invoked = (args.length > 0 && !"help".equals(args[0])) ? SUBCOMMANDS.get(args[0]) : null;
		if (invoked != null) {
			commandLine.addSubcommand(args[0], invoked.get());
		}
		else {
			SUBCOMMANDS.forEach((name, subcommand) -> commandLine.addSubcommand(name, subcommand.get()));
		}
		// After the subcommands: picocli hands these settings only to the subcommands present.
		commandLine.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
			cmd.getErr().println("error: " + message(ex));
			if (!expected(ex)) {
				ex.printStackTrace(cmd.getErr());
			}
			cmd.getErr().flush();
			return ERROR;
		});
		return commandLine;
	}

	Map<String, String> env() {
		return this.env;
	}

	private static Map<String, Supplier<Object>> subcommands() {
		Map<String, Supplier<Object>> subcommands = new LinkedHashMap<>();
		subcommands.put("restore", RestoreCommand::new);
		subcommands.put("generations", GenerationsCommand::new);
		subcommands.put("snapshots", SnapshotsCommand::new);
		subcommands.put("wal", WalCommand::new);
		subcommands.put("verify", VerifyCommand::new);
		subcommands.put("help", CommandLine.HelpCommand::new);
		return subcommands;
	}

	/** Without a subcommand: the usage, as a usage error. */
	@Override
	public Integer call() {
		this.spec.commandLine().usage(this.spec.commandLine().getErr());
		return USAGE;
	}

	private static boolean expected(Throwable ex) {
		return ex instanceof CliException || ex instanceof LitestreamException || ex instanceof IOException;
	}

	private static String message(Throwable ex) {
		if (ex instanceof CliException || ex instanceof LitestreamException) {
			return ex.getMessage();
		}
		return ex.getClass().getSimpleName() + ": " + ex.getMessage();
	}

	/** The version from the jar's manifest (the Maven project version). */
	static final class Version implements CommandLine.IVersionProvider {

		@Override
		public String[] getVersion() {
			String version = LitestreamCommand.class.getPackage().getImplementationVersion();
			return new String[] { "litestream-cli " + ((version != null) ? version : "(development build)"),
					"Litestream v0.3 replica format" };
		}

	}

}
