package io.github.litestreamspring.benchmarks;

import java.time.Duration;

import io.github.litestreamspring.engine.replication.ReplicaOptions;

/** Who replicates the benchmark database in a run. */
public enum Side {

	/** Nobody: the writer's baseline. */
	OFF("replication off"),

	/** Our engine inside the writer's JVM, default settings (sync-interval 1 s). */
	OURS_DEFAULT("ours, default"),

	/** Our engine inside the writer's JVM, low-latency mode (sync-interval 0). */
	OURS_LOW_LATENCY("ours, low-latency"),

	/** The real Litestream v0.3.13 as a sidecar process, its defaults. */
	LITESTREAM("Litestream 0.3.13");

	private final String label;

	Side(String label) {
		this.label = label;
	}

	public String label() {
		return this.label;
	}

	/** Whether the writer JVM hosts our engine. */
	public boolean ours() {
		return this == OURS_DEFAULT || this == OURS_LOW_LATENCY;
	}

	/** Whether anything replicates. */
	public boolean replicates() {
		return this != OFF;
	}

	/** Our replica options for this side; only meaningful when {@link #ours()}. */
	public ReplicaOptions replicaOptions() {
		ReplicaOptions defaults = ReplicaOptions.defaults("s3");
		return (this == OURS_LOW_LATENCY) ? defaults.withSyncInterval(Duration.ZERO) : defaults;
	}

}
