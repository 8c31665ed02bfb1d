package io.github.litestreamspring.engine.restore;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.ReplicaClient;

/**
 * Which replica a restore reads: every replica is planned ({@link Restorer#plan}); those with a matching
 * backup are the candidates, newest backup first (equally new ones in the given order), as in Litestream.
 * A replica that cannot be listed is a failure, not a reason to stop: the caller decides whether the
 * others suffice (the startup restore and the command-line tool both go on with the rest and fail only
 * when no replica could be read and none has a backup).
 * <p>
 * Generic in the replica type so that restore does not depend on replication: pass how to reach a
 * replica's client and name.
 */
public final class ReplicaChooser {

	private ReplicaChooser() {
	}

	/** Plans a restore with {@code options} from every replica, in order. */
	public static <R> Choice<R> choose(List<R> replicas, Function<? super R, ReplicaClient> client,
			Function<? super R, String> name, RestoreOptions options) {
		List<Candidate<R>> candidates = new ArrayList<>();
		List<Failure<R>> failures = new ArrayList<>();
		for (R replica : replicas) {
			try {
				new Restorer(client.apply(replica)).plan(options)
					.ifPresent((plan) -> candidates.add(new Candidate<>(replica, plan)));
			}
			catch (LitestreamException ex) {
				failures.add(new Failure<>(replica, name.apply(replica), ex));
			}
		}
		// Stable sort: equally new backups keep the given order.
		candidates.sort(Comparator.comparing((Candidate<R> c) -> c.plan().updatedAt()).reversed());
		return new Choice<>(List.copyOf(candidates), List.copyOf(failures));
	}

	/**
	 * A replica with a matching backup.
	 * @param replica the replica
	 * @param plan what a restore from it reads
	 */
	public record Candidate<R>(R replica, RestorePlan plan) {

	}

	/**
	 * A replica that could not be planned (listed, read).
	 * @param replica the replica
	 * @param name its name, for messages
	 * @param error why
	 */
	public record Failure<R>(R replica, String name, LitestreamException error) {

		/** {@code replica '<name>': <message>}, for messages. */
		public String describe() {
			return "replica '" + this.name + "': " + this.error.getMessage();
		}

	}

	/**
	 * The outcome of planning every replica.
	 * @param candidates replicas with a matching backup, newest first
	 * @param failures replicas that could not be read, in the given order
	 */
	public record Choice<R>(List<Candidate<R>> candidates, List<Failure<R>> failures) {

		/** The replica with the newest matching backup, or empty when none has one. */
		public Optional<Candidate<R>> best() {
			return this.candidates.isEmpty() ? Optional.empty() : Optional.of(this.candidates.get(0));
		}

		/** Whether no replica has a backup because some could not be read: "no backup" would be a guess. */
		public boolean unreadable() {
			return this.candidates.isEmpty() && !this.failures.isEmpty();
		}

		/** Every failure, {@code "; "}-separated, for messages. */
		public String describeFailures() {
			return String.join("; ", this.failures.stream().map(Failure::describe).toList());
		}

	}

}
