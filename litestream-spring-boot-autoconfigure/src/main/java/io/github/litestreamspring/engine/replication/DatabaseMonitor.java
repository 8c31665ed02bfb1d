package io.github.litestreamspring.engine.replication;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.db.Database;

/**
 * Litestream's DB monitor: runs the local pass (shadow WAL copy and checkpoint) on its own thread
 * whenever a busy writer asks for one, so that the WAL is copied, checkpointed and restarted while the
 * replication thread is busy uploading a segment or a snapshot. Without it a writer that never pauses
 * grows the WAL for as long as an upload lasts.
 * <p>
 * Failures are left to the replication thread, whose passes sync too and report them (once); this
 * thread only logs them at DEBUG.
 */
final class DatabaseMonitor {

	private static final Logger logger = LoggerFactory.getLogger(DatabaseMonitor.class);

	private final Database database;

	/** Run after each local pass (the lag bookkeeping notes the new position). */
	private final Runnable afterPass;

	private final AtomicBoolean requested = new AtomicBoolean();

	private volatile boolean running;

	private volatile Thread thread;

	DatabaseMonitor(Database database, Runnable afterPass) {
		this.database = database;
		this.afterPass = afterPass;
	}

	void start() {
		this.running = true;
		Thread t = new Thread(this::run, "litestream-monitor-" + this.database.path().getFileName());
		t.setDaemon(true);
		this.thread = t;
		t.start();
	}

	/** Asks for a local pass soon (application thread: cheap, never blocks; requests coalesce). */
	void request() {
		Thread t = this.thread;
		if (t != null && this.requested.compareAndSet(false, true)) {
			LockSupport.unpark(t);
		}
	}

	/** Stops after the pass in progress, if any. */
	void stop() {
		this.running = false;
		Thread t = this.thread;
		if (t == null) {
			return;
		}
		LockSupport.unpark(t);
		try {
			t.join(30_000);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		this.thread = null;
	}

	private void run() {
		while (this.running) {
			if (!this.requested.getAndSet(false)) {
				LockSupport.park(this);
				continue;
			}
			try {
				this.database.sync();
				this.afterPass.run();
			}
			catch (RuntimeException ex) {
				logger.debug("{}: local pass failed: {}", this.database.path(), ex.getMessage());
			}
		}
	}

}
