package io.github.litestreamspring.cli;

import java.util.List;
import java.util.Optional;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestorePlan;
import io.github.litestreamspring.engine.restore.ReplicaChooser;

/**
 * The replica a restore reads and what it would read there. With several replicas the one with the
 * newest matching backup wins, as in Litestream and in the starter's restore on startup.
 *
 * @param replica the chosen replica
 * @param plan what a restore from it reads
 */
record ReplicaChoice(Replica replica, RestorePlan plan) {

	/**
	 * The best replica, or empty when none holds a matching backup.
	 * @throws LitestreamException when a replica cannot be listed and no other one has a backup
	 */
	static Optional<ReplicaChoice> choose(List<Replica> replicas, RestoreOptions options, java.io.PrintWriter err) {
		ReplicaChooser.Choice<Replica> choice = ReplicaChooser.choose(replicas, Replica::client, Replica::name,
				options);
		if (replicas.size() == 1 && !choice.failures().isEmpty()) {
			throw choice.failures().get(0).error();
		}
		if (choice.unreadable()) {
			throw new CliException("cannot read the replicas: " + choice.describeFailures());
		}
		for (ReplicaChooser.Failure<Replica> failure : choice.failures()) {
			err.println("warning: ignoring " + failure.describe());
		}
		return choice.best().map((best) -> new ReplicaChoice(best.replica(), best.plan()));
	}

	/** Prints a warning line when the plan skips a newer generation without snapshot. */
	void warnIfFellBack(java.io.PrintWriter err) {
		if (this.plan.fellBack()) {
			err.println("warning: replica '" + this.replica.name() + "': " + this.plan.describeFallback());
			err.flush();
		}
	}

	/** "name (where)", for messages. */
	String describe() {
		return this.replica.name() + " (" + this.replica.client().describe() + ")";
	}

}
