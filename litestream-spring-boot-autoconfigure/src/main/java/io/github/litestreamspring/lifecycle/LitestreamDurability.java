package io.github.litestreamspring.lifecycle;

import java.time.Duration;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.Pos;

/**
 * "Wait until backed up" for code that must not acknowledge a write before it is in every replica
 * (Litestream #1420), for one database: the bean waits for the DataSource's, and
 * {@link LitestreamDatabase#durability()} for any other. Waiting is opt-in and shared: concurrent waiters
 * ride the same uploads, never one upload each.
 * <pre>
 * &#64;Transactional
 * public void placeOrder(Order order) {
 *     orders.save(order);
 *     durability.awaitAfterCommit(); // returns normally; commit() then waits for the replicas
 * }
 * </pre>
 */
public class LitestreamDurability {

	private final Replicator replicator;

	private final Duration timeout;

	public LitestreamDurability(Replicator replicator, Duration timeout) {
		this.replicator = replicator;
		this.timeout = timeout;
	}

	/**
	 * Blocks until everything committed so far is in every replica.
	 * @return the durable local position
	 * @throws io.github.litestreamspring.engine.LitestreamException after {@code litestream.durable-timeout}
	 */
	public Pos awaitDurable() {
		return this.replicator.awaitDurable(this.timeout);
	}

	/**
	 * Inside a Spring-managed transaction: makes its commit wait until the transaction is in every
	 * replica (a failure then surfaces from the commit call). Outside one: waits now.
	 */
	public void awaitAfterCommit() {
		if (TransactionSynchronizationManager.isSynchronizationActive()) {
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
				@Override
				public void afterCommit() {
					awaitDurable();
				}
			});
		}
		else {
			awaitDurable();
		}
	}

}
