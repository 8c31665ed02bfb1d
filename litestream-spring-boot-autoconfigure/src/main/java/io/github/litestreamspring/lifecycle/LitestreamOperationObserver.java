package io.github.litestreamspring.lifecycle;

import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Brackets the Spring layer's long operations on one database (the startup restore, a restore
 * verification) so that an adapter can time and trace them as they happen: with Micrometer, each becomes
 * an {@code Observation} ({@code LitestreamObservations}). Without an adapter they just run.
 */
public interface LitestreamOperationObserver {

	/** Runs the work without observing it. */
	LitestreamOperationObserver NONE = new LitestreamOperationObserver() {

		@Override
		public <T> T observe(Operation operation, LitestreamReplication replication, Supplier<T> work,
				Function<T, String> outcome) {
			return work.get();
		}

	};

	/**
	 * Runs {@code work} for {@code replication}'s database, observed.
	 * @param outcome names how a result ended ({@code success}, {@code failure}, a restore outcome)
	 */
	<T> T observe(Operation operation, LitestreamReplication replication, Supplier<T> work,
			Function<T, String> outcome);

	/** The operations observed. */
	enum Operation {

		/** The restore at startup. */
		RESTORE,

		/** A restore verification (scheduled or on demand). */
		VERIFICATION

	}

}
