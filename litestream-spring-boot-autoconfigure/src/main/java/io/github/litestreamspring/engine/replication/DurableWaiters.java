package io.github.litestreamspring.engine.replication;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.Pos;

/**
 * Callers of {@link Replicator#awaitDurable} waiting for the next pass that puts their commits in every
 * replica. A pass takes them all at once, so any number of waiters share its uploads.
 */
final class DurableWaiters {

	private final ConcurrentLinkedQueue<CompletableFuture<Pos>> waiting = new ConcurrentLinkedQueue<>();

	/**
	 * Adds a waiter, wakes the replication thread and waits up to {@code timeout} for a pass that puts
	 * every commit made so far in every replica (see {@link Replicator#awaitDurable}).
	 * @param replicaErrors the replicas' last errors, for the message of a timeout
	 */
	Pos await(Duration timeout, Runnable wake, Path database, Supplier<String> replicaErrors) {
		CompletableFuture<Pos> durable = add();
		wake.run();
		try {
			return durable.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (TimeoutException ex) {
			durable.cancel(false);
			throw new LitestreamException("commits to " + database + " did not reach every replica within "
					+ timeout + replicaErrors.get());
		}
		catch (ExecutionException ex) {
			throw new LitestreamException(ex.getCause().getMessage(), ex.getCause());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new LitestreamException("interrupted while waiting for replication of " + database, ex);
		}
	}

	CompletableFuture<Pos> add() {
		CompletableFuture<Pos> future = new CompletableFuture<>();
		this.waiting.add(future);
		return future;
	}

	boolean isEmpty() {
		return this.waiting.isEmpty();
	}

	/** Takes every current waiter (they are now served by the caller's pass). */
	List<CompletableFuture<Pos>> drain() {
		List<CompletableFuture<Pos>> drained = new ArrayList<>();
		CompletableFuture<Pos> f;
		while ((f = this.waiting.poll()) != null) {
			if (!f.isDone()) {
				drained.add(f);
			}
		}
		return drained;
	}

	/** Puts back waiters the pass could not satisfy (a replica failed or lags). */
	void requeue(List<CompletableFuture<Pos>> futures) {
		for (CompletableFuture<Pos> f : futures) {
			if (!f.isDone()) {
				this.waiting.add(f);
			}
		}
	}

	void failAll(RuntimeException cause) {
		CompletableFuture<Pos> f;
		while ((f = this.waiting.poll()) != null) {
			f.completeExceptionally(cause);
		}
	}

}
