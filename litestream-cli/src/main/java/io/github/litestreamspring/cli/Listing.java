package io.github.litestreamspring.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

import org.springframework.boot.json.JsonWriter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.ReplicaClient;

/**
 * What the listing commands share: replica selection, {@code --json}, and turning a failed listing
 * into a message that names the replica.
 */
abstract class Listing implements java.util.concurrent.Callable<Integer> {

	@ParentCommand
	LitestreamCommand parent;

	@Spec
	CommandSpec spec;

	@Mixin
	ReplicaSelection selection;

	@Option(names = { "--json" }, description = "Print a JSON array instead of a table.")
	boolean json;

	@Override
	public final Integer call() throws IOException {
		PrintWriter out = this.spec.commandLine().getOut();
		try (OpenReplicas replicas = this.selection.open(this.parent.env(), null)) {
			Table table = table();
			List<Map<String, Object>> rows = new java.util.ArrayList<>();
			for (Replica replica : replicas.all()) {
				try {
					list(replica.name(), replica.client(), table, rows);
				}
				catch (IOException ex) {
					throw new LitestreamException("cannot list " + replica.client().describe() + ": " + ex.getMessage(),
							ex);
				}
			}
			if (this.json) {
				out.println(JsonWriter.standard().writeToString(rows));
				out.flush();
			}
			else {
				table.print(out);
			}
			return 0;
		}
	}

	/** An empty table with this listing's header. */
	abstract Table table();

	/** Adds one replica's rows to both the table and the JSON rows. */
	abstract void list(String name, ReplicaClient client, Table table, List<Map<String, Object>> rows)
			throws IOException;

	/** The generations to list: one given by {@code -generation}, or all. */
	static List<String> generations(ReplicaClient client, String only) throws IOException {
		return (only != null) ? List.of(only) : client.generations();
	}

}
