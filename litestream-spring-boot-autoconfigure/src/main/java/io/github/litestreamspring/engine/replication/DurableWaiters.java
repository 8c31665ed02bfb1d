package io.github.litestreamspring.engine.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;

import io.github.litestreamspring.engine.Pos;

/**
 * Callers of {@link Replicator#awaitDurable} waiting for the next pass that puts their commits in every
 * replica. A pass takes them all at once, so any number of waiters share its uploads.
 */
final class DurableWaiters {

	private final ConcurrentLinkedQueue<CompletableFuture<Pos>> waiting = new ConcurrentLinkedQueue<>();

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
