package io.github.litestreamspring.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line {@code main} builds for its arguments (only the subcommand it runs) behaves exactly as
 * the one with every subcommand: the same usage, help, errors and exit codes.
 */
class CliCommandLineTests {

	private static final List<String> COMMANDS = List.of("restore", "generations", "snapshots", "wal", "verify");

	private static final List<List<String>> ARGUMENTS = List.of(List.of(), List.of("--help"), List.of("--version"),
			List.of("-h", "restore"), List.of("help"), List.of("help", "restore"), List.of("help", "verify"),
			List.of("restore", "--help"), List.of("restore", "-h"), List.of("generations", "--help"),
			List.of("snapshots", "--help"), List.of("wal", "--help"), List.of("verify", "--help"),
			List.of("wal", "--version"), List.of("restore", "--no-such-flag"), List.of("restore", "generations"),
			List.of("restore"), List.of("verify", "-o"), List.of("nosuch"), List.of("resto"),
			List.of("restore", "file:///nowhere", "-config", "x.yml"));

	@Test
	void aCommandLineForASubcommandBuildsOnlyThatSubcommand() {
		for (String command : COMMANDS) {
			CommandLine lean = LitestreamCommand.commandLine(Map.of(), command, "--help");

			assertThat(lean.getSubcommands()).containsOnlyKeys(command);
		}
	}

	@Test
	void withoutASubcommandOrWithHelpEveryCommandIsThere() {
		List<String> all = List.of("restore", "generations", "snapshots", "wal", "verify", "help");

		assertThat(LitestreamCommand.commandLine(Map.of()).getSubcommands().keySet()).containsExactlyElementsOf(all);
		assertThat(LitestreamCommand.commandLine(Map.of(), "help", "restore").getSubcommands().keySet())
			.containsExactlyElementsOf(all);
		assertThat(LitestreamCommand.commandLine(Map.of(), "nosuch").getSubcommands().keySet())
			.containsExactlyElementsOf(all);
	}

	@Test
	void everyArgumentVectorPrintsAndExitsAsWithAllSubcommands() {
		for (List<String> arguments : ARGUMENTS) {
			String[] args = arguments.toArray(String[]::new);

			CliRun lean = run(LitestreamCommand.commandLine(Map.of(), args), args);
			CliRun full = run(LitestreamCommand.commandLine(Map.of()), args);

			assertThat(lean).as("%s", arguments).isEqualTo(full);
		}
	}

	@Test
	void theUsageListsEveryCommandAndEachCommandsHelpListsAllItsFlags() {
		CliRun usage = CliRun.run("--help");
		assertThat(usage.exitCode()).isZero();
		for (String command : COMMANDS) {
			assertThat(usage.out()).containsPattern("(?m)^  " + command + " ");

			CliRun help = CliRun.run(command, "--help");

			assertThat(help.exitCode()).isZero();
			assertThat(help.out()).startsWith("Usage: litestream-cli " + command + " ");
			List<OptionSpec> options = LitestreamCommand.commandLine(Map.of()).getSubcommands().get(command)
				.getCommandSpec().options();
			assertThat(options).hasSizeGreaterThan(3);
			for (OptionSpec option : options) {
				assertThat(help.out()).as("%s --help", command).contains(option.longestName());
			}
		}
	}

	@Test
	void theHelpOfNoExpandEnvShowsThePlaceholderSyntax() {
		for (String command : COMMANDS) {
			assertThat(CliRun.run(command, "--help").out()).as(command)
				.contains("Do not resolve ${...} placeholders")
				.doesNotContain("null");
		}
	}

	@Test
	void anUnknownCommandFailsWithTheUsageAndASuggestion() {
		CliRun unknown = CliRun.run("nosuch");
		CliRun typo = CliRun.run("resto");

		assertThat(unknown.exitCode()).isEqualTo(LitestreamCommand.USAGE);
		assertThat(unknown.err()).startsWith("Unmatched argument at index 0: 'nosuch'")
			.contains("Usage: litestream-cli [-hV] [COMMAND]")
			.contains("  verify ");
		assertThat(typo.exitCode()).isEqualTo(LitestreamCommand.USAGE);
		assertThat(typo.err()).contains("Did you mean: litestream-cli restore?");
	}

	@Test
	void anUnknownFlagOfACommandFailsWithSuggestionsFromThatCommandsFlags() {
		CliRun run = CliRun.run("restore", "--no-such-flag", "-config", "x.yml");

		assertThat(run.exitCode()).isEqualTo(LitestreamCommand.USAGE);
		assertThat(run.err()).startsWith("Unknown option: '--no-such-flag'")
			.contains("Possible solutions: -no-expand-env, --no-expand-env");
	}

	private static CliRun run(CommandLine commandLine, String... args) {
		StringWriter out = new StringWriter();
		StringWriter err = new StringWriter();
		commandLine.setOut(new PrintWriter(out, true));
		commandLine.setErr(new PrintWriter(err, true));
		int code = commandLine.execute(args);
		return new CliRun(code, out.toString(), err.toString());
	}

}
