package io.github.litestreamspring.engine.testsupport;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;

/**
 * A child-process replicator for tests of what two processes on one volume may do: replicates
 * {@code db} to a file replica until killed or its time runs out.
 * <p>
 * Protocol on standard output (each line flushed): {@code STARTED <pid>} once replication runs, or
 * {@code REFUSED <message>} when {@link Replicator#start()} failed (then exit code 3).
 * Arguments: {@code db replicaDir maxMillis [leaseTtlMillis]}; with a lease TTL the child takes the
 * lease first ({@link Replicator#acquireLeases}).
 */
public final class ReplicatingChild {

	private ReplicatingChild() {
	}

	public static void main(String[] args) throws Exception {
		PrintStream out = System.out;
		Path db = Path.of(args[0]);
		DatabaseOptions options = DatabaseOptions.defaults(db).withIntervals(Duration.ofMillis(50), Duration.ofMinutes(1));
		Replica replica = new Replica(ReplicaOptions.defaults("file"), new FileReplicaClient(Path.of(args[1])));
		Replicator replicator = new Replicator(options, List.of(replica));
		try {
			if (args.length > 3) {
				// With a lease TTL: takes the lease before starting, as the Spring layer does.
				replicator.setLeaseOptions(io.github.litestreamspring.engine.lease.LeaseOptions
					.enabled(Duration.ofMillis(Long.parseLong(args[3])), io.github.litestreamspring.engine.lease.LeaseOptions.OnConflict.WAIT));
				replicator.acquireLeases(Duration.ofSeconds(30));
			}
			replicator.start();
		}
		catch (RuntimeException ex) {
			out.println("REFUSED " + ex.getMessage());
			out.flush();
			System.exit(3);
		}
		out.println("STARTED " + ProcessHandle.current().pid());
		out.flush();
		Thread.sleep(Long.parseLong(args[2]));
		replicator.stop();
		System.exit(0);
	}

}
