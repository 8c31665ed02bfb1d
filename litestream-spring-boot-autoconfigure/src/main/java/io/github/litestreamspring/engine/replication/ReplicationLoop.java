package io.github.litestreamspring.engine.replication;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.LitestreamException;

/**
 * The replication thread of one database: one named daemon thread that runs every step (passes,
 * submitted tasks such as {@code syncNow}, a lease hand-over), so that they never race each other. It
 * wakes when its pass plan says so ({@link ReplicationPass#sleepMillis()}), when a commit signals it, and
 * for every submitted task. Errors are logged and the loop carries on.
 */
final class ReplicationLoop {

	/** Under Replicator's name, as before this class was split from it: the log category is unchanged. */
	private static final Logger logger = LoggerFactory.getLogger(Replicator.class);

	private static final Runnable WAKE_UP = () -> {
	};

	private final Path databasePath;

	private final ReplicationPass pass;

	private final CommitSignals commits;

	private final DurableWaiters durableWaiters;

	private final Duration commitWindow;

	private final LinkedBlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();

	private volatile Thread thread;

	private volatile boolean running;

	/** Runs after every pass of the loop (e.g. making the leases idle, {@link LeaseIdling}). */
	private volatile Runnable afterPass = () -> {
	};

	ReplicationLoop(Path databasePath, ReplicationPass pass, CommitSignals commits, DurableWaiters durableWaiters,
			Duration commitWindow) {
		this.databasePath = databasePath;
		this.pass = pass;
		this.commits = commits;
		this.durableWaiters = durableWaiters;
		this.commitWindow = commitWindow;
	}

	boolean isRunning() {
		return this.running;
	}

	/** Whether the caller is the replication thread. */
	boolean onLoopThread() {
		return Thread.currentThread() == this.thread;
	}

	/**
	 * Starts a new thread. After a {@link #end} that timed out, the previous thread may still be inside a
	 * replica call (an S3 retry can last minutes); the new one waits for it to leave rather than run
	 * beside it.
	 */
	void setAfterPass(Runnable afterPass) {
		this.afterPass = afterPass;
	}

	void start() {
		this.running = true;
		Thread predecessor = this.thread;
		Thread t = new Thread(() -> run(predecessor), "litestream-" + this.databasePath.getFileName());
		t.setDaemon(true);
		this.thread = t;
		t.start();
	}

	/**
	 * Ends the loop (what was submitted before still runs) and waits up to {@code millis} for the thread.
	 * @return whether the thread has ended
	 */
	boolean end(long millis) {
		this.running = false;
		this.tasks.offer(WAKE_UP);
		try {
			this.thread.join(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		return !this.thread.isAlive();
	}

	/** Wakes the thread for a pass unless something is queued already (a commit). */
	void wakeIfIdle() {
		if (this.tasks.isEmpty()) {
			this.tasks.offer(WAKE_UP);
		}
	}

	/** Wakes the thread for a pass. */
	void wake() {
		this.tasks.offer(WAKE_UP);
	}

	/** Queues {@code task} for the thread without waiting for it. */
	void execute(Runnable task) {
		this.tasks.offer(task);
	}

	/** Runs {@code work} on the thread; fails at once when replication is not running. */
	<T> CompletableFuture<T> submit(Callable<T> work) {
		CompletableFuture<T> future = new CompletableFuture<>();
		if (!this.running) {
			future.completeExceptionally(new LitestreamException("replication of " + this.databasePath
					+ " is not running"));
			return future;
		}
		this.tasks.offer(() -> {
			try {
				future.complete(work.call());
			}
			catch (Exception ex) {
				future.completeExceptionally(ex);
			}
		});
		return future;
	}

	/** Waits for submitted work; its failure is rethrown as a {@link LitestreamException}. */
	<T> T await(CompletableFuture<T> future) {
		try {
			return future.get();
		}
		catch (ExecutionException ex) {
			Throwable cause = ex.getCause();
			if (cause instanceof LitestreamException le) {
				throw le;
			}
			throw new LitestreamException(cause.getMessage(), cause);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new LitestreamException("interrupted while waiting for replication of " + this.databasePath, ex);
		}
	}

	private void run(Thread predecessor) {
		if (predecessor != null && predecessor.isAlive()) {
			logger.warn("{}: waiting for the previous replication thread to finish its replica call",
					this.databasePath);
			try {
				predecessor.join();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
		while (isCurrentThread()) {
			try {
				Runnable task = this.tasks.poll(this.pass.sleepMillis(), TimeUnit.MILLISECONDS);
				this.commits.awake();
				if (!isCurrentThread()) {
					// Superseded by a restart meanwhile: what was taken belongs to the new thread.
					if (task != null && task != WAKE_UP) {
						this.tasks.offer(task);
					}
					break;
				}
				if (task != null && task != WAKE_UP) {
					task.run();
					continue;
				}
				if (task == WAKE_UP && this.commits.beforeUploadDue() && this.durableWaiters.isEmpty()) {
					// Woken only so as not to oversleep: plan the sleep again, now up to the due time.
					continue;
				}
				if (task == WAKE_UP) {
					this.commits.wokenByCommit();
					if (!this.commitWindow.isZero()) {
						// Let the commits of a short window share one segment and one upload.
						Thread.sleep(this.commitWindow.toMillis(), this.commitWindow.toNanosPart() % 1_000_000);
						this.tasks.removeIf((t) -> t == WAKE_UP);
					}
				}
				this.commits.passEnded(this.pass.run(false), task == null);
				this.afterPass.run();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
			catch (RuntimeException ex) {
				logger.error("{}: unexpected error in replication loop", this.databasePath, ex);
			}
		}
		// Run what was submitted after the loop ended (e.g. the final sync of stop()), unless a restart
		// has already handed the queue to a new thread.
		Runnable task;
		while (this.thread == Thread.currentThread() && (task = this.tasks.poll()) != null) {
			task.run();
		}
	}

	/** Whether replication runs and this thread is the one doing it (not one a restart superseded). */
	private boolean isCurrentThread() {
		return this.running && this.thread == Thread.currentThread();
	}

	/** Work submitted to the replication thread. */
	@FunctionalInterface
	interface Callable<T> {

		T call() throws Exception;

	}

}
