package io.github.litestreamspring.cli;

import java.nio.file.Path;
import java.time.Instant;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import io.github.litestreamspring.engine.restore.RestoreOptions;

/** Which state to restore, with the meaning of Litestream's flags of the same names. */
final class PointInTime {

	@Spec(Spec.Target.MIXEE)
	CommandSpec spec;

	@Option(names = { "-generation", "--generation" }, paramLabel = "ID",
			description = "Restore this generation (default: the one with the newest backup).")
	String generation;

	@Option(names = { "-index", "--index" }, paramLabel = "HEX",
			description = "Restore up to and including this WAL index (hex, e.g. 0000000a); without -generation, "
					+ "in the generation a restore would pick.")
	String index;

	@Option(names = { "-timestamp", "--timestamp" }, paramLabel = "RFC3339",
			description = "Restore the state as of this time, e.g. 2026-01-02T03:04:05Z.")
	String timestamp;

	@Option(names = { "-parallelism", "--parallelism" }, paramLabel = "N",
			description = "WAL segments downloaded at once (default: ${DEFAULT-VALUE}; below 1 means 1, as in Litestream).")
	int parallelism = RestoreOptions.DEFAULT_PARALLELISM;

	/** Restore options for {@code output}; a bad combination is a usage error (exit code 2). */
	RestoreOptions toOptions(Path output, boolean ifDbNotExists, boolean ifReplicaExists) {
		// As in Litestream v0.3.13: -index without -generation is that index in the generation a restore
		// would pick (RestorePlanner), and a parallelism below 1 downloads one at a time.
		if (this.index != null && this.timestamp != null) {
			throw usage("give -index or -timestamp, not both");
		}
		try {
			long idx = (this.index != null) ? Formats.parseIndex(this.index) : -1;
			Instant time = (this.timestamp != null) ? Formats.parseTimestamp(this.timestamp) : null;
			return new RestoreOptions(output, this.generation, idx, time, Math.max(1, this.parallelism),
					ifDbNotExists, ifReplicaExists, false);
		}
		catch (IllegalArgumentException ex) {
			throw usage(ex.getMessage());
		}
	}

	private ParameterException usage(String message) {
		return new ParameterException(this.spec.commandLine(), message);
	}

}
