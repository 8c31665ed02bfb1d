package io.github.litestreamspring.engine.testsupport;

import java.time.Duration;

/**
 * Sizes of the fault-injection tests: small by default so CI stays fast, larger for a soak run
 * ({@code -Dsoak.rounds=N -Dsoak.seconds=S}, see {@code docs/reliability.md}). Every test prints one
 * {@code SOAK ...} line with its counts, which the soak report quotes.
 */
public final class Soak {

	private Soak() {
	}

	/** Rounds of a repeated scenario (kill loops, fault cycles): {@code soak.rounds} or the default. */
	public static int rounds(int defaultRounds) {
		return Math.max(1, Integer.getInteger("soak.rounds", defaultRounds));
	}

	/** How long a write load lasts: {@code soak.seconds} or the default. */
	public static Duration load(Duration defaultLoad) {
		String seconds = System.getProperty("soak.seconds");
		return (seconds != null) ? Duration.ofSeconds(Math.max(1, Long.parseLong(seconds))) : defaultLoad;
	}

	/** Prints a result line for the soak report. */
	public static void report(String test, String counts) {
		System.out.println("SOAK " + test + " " + counts);
	}

}
