package io.github.litestreamspring.autoconfigure;

import java.time.Duration;

import org.springframework.util.unit.DataSize;

/**
 * Checks the values of {@code litestream.*} that the binder accepts but that make no sense (a
 * negative duration, a parallelism of zero), so that startup fails naming the property instead of the
 * engine misbehaving later or failing with a message that names no property.
 */
final class PropertyValidation {

	private PropertyValidation() {
	}

	/**
	 * @throws LitestreamConfigurationException naming the first invalid property
	 */
	static void validate(LitestreamProperties p) {
		// Zero would make the monitor loop spin.
		positive("litestream.monitor-interval", p.getMonitorInterval());
		notNegative("litestream.busy-timeout", p.getBusyTimeout());
		notNegative("litestream.application-busy-timeout", p.getApplicationBusyTimeout());
		notNegative("litestream.commit-window", p.getCommitWindow());
		notNegative("litestream.durable-timeout", p.getDurableTimeout());
		notNegative("litestream.shadow-wal-max-size", p.getShadowWalMaxSize());
		LitestreamProperties.Checkpoint c = p.getCheckpoint();
		notNegative("litestream.checkpoint.interval", c.getInterval());
		if (c.getMinPageCount() <= 0) {
			throw invalid("litestream.checkpoint.min-page-count", String.valueOf(c.getMinPageCount()),
					"a positive number of pages (the default is 1000)");
		}
		notNegative("litestream.checkpoint.max-page-count", c.getMaxPageCount());
		notNegative("litestream.checkpoint.truncate-page-count", c.getTruncatePageCount());
		if (p.getRestore().getParallelism() <= 0) {
			throw invalid("litestream.restore.parallelism", String.valueOf(p.getRestore().getParallelism()),
					"a positive number of parallel downloads");
		}
		notNegative("litestream.health.max-lag", p.getHealth().getMaxLag());
		notNegative("litestream.verification.interval", p.getVerification().getInterval());
		LitestreamProperties.Backpressure b = p.getBackpressure();
		notNegative("litestream.backpressure.max-lag", b.getMaxLag());
		notNegative("litestream.backpressure.max-lag-bytes", b.getMaxLagBytes());
		notNegative("litestream.backpressure.max-throttle", b.getMaxThrottle());
		notNegative("litestream.lease.handover-write-timeout", p.getLease().getHandoverWriteTimeout());
	}

	/** Checks a replica's durations, each under its own property name. */
	static void validateReplica(String prefix, LitestreamProperties.Replica r) {
		notNegative(prefix + ".sync-interval", r.getSyncInterval());
		notNegative(prefix + ".max-uploads-per-second", r.getMaxUploadsPerSecond());
		notNegative(prefix + ".snapshot-interval", r.getSnapshotInterval());
		notNegative(prefix + ".retention", r.getRetention());
		notNegative(prefix + ".retention-check-interval", r.getRetentionCheckInterval());
	}

	static void notNegative(String property, Duration value) {
		if (value != null && value.isNegative()) {
			throw invalid(property, value.toString(), "zero or a positive duration");
		}
	}

	private static void positive(String property, Duration value) {
		if (value != null && (value.isNegative() || value.isZero())) {
			throw invalid(property, value.toString(), "a positive duration");
		}
	}

	private static void notNegative(String property, DataSize value) {
		if (value != null && value.isNegative()) {
			throw invalid(property, value.toString(), "zero or a positive size");
		}
	}

	private static void notNegative(String property, int value) {
		if (value < 0) {
			throw invalid(property, String.valueOf(value), "zero or a positive number");
		}
	}

	private static LitestreamConfigurationException invalid(String property, String value, String expected) {
		return new LitestreamConfigurationException("'" + property + "' is invalid: " + value, property,
				"Set '" + property + "' to " + expected);
	}

}
