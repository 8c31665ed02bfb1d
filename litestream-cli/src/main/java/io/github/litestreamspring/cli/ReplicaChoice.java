package io.github.litestreamspring.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestorePlan;
import io.github.litestreamspring.engine.restore.Restorer;

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
		ReplicaChoice best = null;
		List<String> failures = new ArrayList<>();
		for (Replica replica : replicas) {
			try {
				Optional<RestorePlan> plan = new Restorer(replica.client()).plan(options);
				if (plan.isPresent() && (best == null || plan.get().updatedAt().isAfter(best.plan().updatedAt()))) {
					best = new ReplicaChoice(replica, plan.get());
				}
			}
			catch (LitestreamException ex) {
				if (replicas.size() == 1) {
					throw ex;
				}
				failures.add("replica '" + replica.name() + "': " + ex.getMessage());
			}
		}
		if (best == null && !failures.isEmpty()) {
			throw new CliException("cannot read the replicas: " + String.join("; ", failures));
		}
		for (String failure : failures) {
			err.println("warning: ignoring " + failure);
		}
		return Optional.ofNullable(best);
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
