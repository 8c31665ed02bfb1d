package io.github.litestreamspring.lifecycle;

import java.nio.file.Path;

import io.github.litestreamspring.jdbc.LitestreamBackpressure;

/**
 * One replicated database and what the Spring layer does for it: its replication, restore
 * verification, durability waits and backpressure. Every database has all of them, the DataSource's
 * as much as each of {@code litestream.databases[]}.
 */
public final class LitestreamDatabase {

	private final LitestreamReplication replication;

	private final LitestreamVerification verification;

	private final LitestreamDurability durability;

	private final LitestreamBackpressure backpressure;

	public LitestreamDatabase(LitestreamReplication replication, LitestreamVerification verification,
			LitestreamDurability durability, LitestreamBackpressure backpressure) {
		this.replication = replication;
		this.verification = verification;
		this.durability = durability;
		this.backpressure = backpressure;
	}

	/** The database's name: metrics tag, health component and CLI selector. */
	public String name() {
		return this.replication.name();
	}

	public Path path() {
		return this.replication.databasePath();
	}

	public LitestreamReplication replication() {
		return this.replication;
	}

	public LitestreamVerification verification() {
		return this.verification;
	}

	/** Waits until this database's commits are in every one of its replicas. */
	public LitestreamDurability durability() {
		return this.durability;
	}

	public LitestreamBackpressure backpressure() {
		return this.backpressure;
	}

	/** The database as health and the endpoint show it, read now. */
	public DatabaseState state() {
		var status = this.replication.status();
		DatabaseState.Backpressure backpressure = this.backpressure.isEnabled()
				? new DatabaseState.Backpressure(this.backpressure.policy().name(), this.backpressure.maxLag(),
						this.backpressure.maxLagBytes(), this.backpressure.violation(status))
				: null;
		LitestreamFollower follower = this.replication.isFollowing() ? this.replication.follower() : null;
		return new DatabaseState(name(), status, this.replication.writes(), this.verification.last(), backpressure,
				(follower != null) ? new DatabaseState.Follower(follower.status(), follower.maxLag()) : null);
	}

}
