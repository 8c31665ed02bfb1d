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
 * Arguments: {@code db replicaDir maxMillis [leaseTtlMillis [idleAfterMillis idleTtlMillis]]}; with a
 * lease TTL the child takes the lease first ({@link Replicator#acquireLeases}); with an idle time its
 * leases go idle (and the idle database's checkpoint comes after 1 s).
 */
public final class ReplicatingChild {

	private ReplicatingChild() {
	}

	public static void main(String[] args) throws Exception {
		PrintStream out = System.out;
		Path db = Path.of(args[0]);
		boolean idle = args.length > 5;
		DatabaseOptions options = DatabaseOptions.defaults(db)
			.withIntervals(Duration.ofMillis(50), idle ? Duration.ofSeconds(1) : Duration.ofMinutes(1));
		Replica replica = new Replica(ReplicaOptions.defaults("file"), new FileReplicaClient(Path.of(args[1])));
		Replicator replicator = new Replicator(options, List.of(replica));
		try {
			if (args.length > 3) {
				// With a lease TTL: takes the lease before starting, as the Spring layer does.
				io.github.litestreamspring.engine.lease.LeaseOptions lease = io.github.litestreamspring.engine.lease.LeaseOptions
					.enabled(Duration.ofMillis(Long.parseLong(args[3])), io.github.litestreamspring.engine.lease.LeaseOptions.OnConflict.WAIT);
				replicator.setLeaseOptions(idle ? lease.withIdle(Duration.ofMillis(Long.parseLong(args[4])),
						Duration.ofMillis(Long.parseLong(args[5]))) : lease);
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
