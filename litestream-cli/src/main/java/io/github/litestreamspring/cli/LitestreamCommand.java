package io.github.litestreamspring.cli;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.Callable;

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
		subcommands = { RestoreCommand.class, GenerationsCommand.class, SnapshotsCommand.class, WalCommand.class,
				VerifyCommand.class, CommandLine.HelpCommand.class },
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

	private final Map<String, String> env;

	@Spec
	CommandSpec spec;

	LitestreamCommand(Map<String, String> env) {
		this.env = Map.copyOf(env);
	}

	public static void main(String[] args) {
		System.exit(commandLine(System.getenv()).execute(args));
	}

	/**
	 * The command line with its error handling; {@code env} stands in for the process environment so
	 * that tests can configure it.
	 */
	static CommandLine commandLine(Map<String, String> env) {
		CommandLine commandLine = new CommandLine(new LitestreamCommand(env));
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
