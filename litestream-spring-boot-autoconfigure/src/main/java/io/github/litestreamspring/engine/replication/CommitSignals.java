package io.github.litestreamspring.engine.replication;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decides when a commit notification must wake the replication thread, so that shipping follows
 * commits without copying the WAL a thousand times a second:
 * <ul>
 * <li>before the next upload is due, a commit only marks the database changed; the thread sleeps
 * until the due time anyway (it is woken only if it would otherwise oversleep it);</li>
 * <li>every {@value #COMMITS_PER_LOCAL_PASS} commits a local pass (shadow WAL copy and checkpoint) is
 * asked of the {@link DatabaseMonitor}, so that a fast writer's WAL is handled in small steps, also
 * while the replication thread uploads; a slower writer gets one every 100 ms while it commits and
 * no upload is due, or while a pass has lasted 100 ms or more (a long upload, retries while S3 is down),
 * so the shadow WAL stays close behind and the WAL keeps being restarted;</li>
 * <li>sqlite-jdbc's commit listener fires before the commit's frames are in the WAL, so a pass woken by
 * a commit that finds nothing looks again after 1, 2, 4 ... 512 ms.</li>
 * </ul>
 * Notification methods are called from application threads; the others from the replication thread.
 */
final class CommitSignals {

	/** What a commit asks of the replication thread. */
	enum Wake {

		/** Nothing: the thread will pass when the next upload is due. */
		NONE,
		/** A pass now: an upload is due. */
		PASS,
		/** A local pass now (by the database monitor), although no upload is due. */
		LOCAL_PASS

	}

	static final int COMMITS_PER_LOCAL_PASS = 1024;

	private static final long MAX_RECHECK_MILLIS = 512;

	/** While commits come, a local pass at least this often (when no upload is due meanwhile). */
	static final long LOCAL_PASS_INTERVAL_NANOS = 100_000_000;

	/** {@link System#nanoTime()} of the last local pass asked for (races between committers are harmless). */
	private volatile long lastLocalPassNanos = System.nanoTime();

	private final AtomicInteger commitsSincePass = new AtomicInteger();

	private volatile boolean changed;

	/** {@link System#nanoTime()} from which some replica may upload again. */
	private volatile long nextUploadDueNanos = System.nanoTime();

	/** {@link System#nanoTime()} until which the replication thread sleeps, unless woken. */
	private volatile long sleepingUntilNanos;

	/**
	 * Whether the replication thread waits for work; false while it runs a pass or a task, which may last
	 * (a long upload, S3 retries while the service is down) and during which waking it does nothing.
	 */
	private volatile boolean idle;

	/** {@link System#nanoTime()} when the replication thread last stopped waiting. */
	private volatile long awakeSinceNanos = System.nanoTime();

	/** Replication thread only: delay of the next look for a notified commit's frames; 0 when none. */
	private long recheckMillis;

	/** A commit happened (application thread). */
	Wake onCommit() {
		this.changed = true;
		long now = System.nanoTime();
		if (this.commitsSincePass.incrementAndGet() % COMMITS_PER_LOCAL_PASS == 0) {
			this.lastLocalPassNanos = now;
			return Wake.LOCAL_PASS;
		}
		boolean due = now - this.nextUploadDueNanos >= 0;
		boolean oversleeping = this.sleepingUntilNanos - this.nextUploadDueNanos > 0;
		boolean wake = due || oversleeping;
		// A pass of a few milliseconds (an upload) is the normal case; one that lasts is stuck in a long
		// upload or in retries, and waking the thread does nothing until it ends.
		boolean stuck = !this.idle && now - this.awakeSinceNanos >= LOCAL_PASS_INTERVAL_NANOS;
		// Keep the shadow WAL close behind between uploads, so that a due upload has little to copy first;
		// and while the replication thread is stuck, keep the WAL copied and checkpointed in its place (it
		// passes again by itself once done: the commit marked the database changed).
		if ((!wake || stuck) && now - this.lastLocalPassNanos >= LOCAL_PASS_INTERVAL_NANOS) {
			this.lastLocalPassNanos = now;
			return Wake.LOCAL_PASS;
		}
		return wake ? Wake.PASS : Wake.NONE;
	}

	/** A pass begins: what was notified so far is now being handled. */
	void passStarted() {
		this.changed = false;
		this.commitsSincePass.set(0);
	}

	/**
	 * How long the thread may sleep, given the other bounds ({@code millis}) and how long until the first
	 * replica may upload again; records both so that notifications know.
	 */
	long sleepMillis(long millis, long untilUploadDueMillis) {
		long now = System.nanoTime();
		this.nextUploadDueNanos = now + untilUploadDueMillis * 1_000_000;
		if (this.recheckMillis > 0) {
			millis = Math.min(millis, this.recheckMillis);
		}
		if (this.changed) {
			millis = Math.min(millis, untilUploadDueMillis);
		}
		this.sleepingUntilNanos = now + millis * 1_000_000;
		this.idle = true;
		return millis;
	}

	/** The replication thread stopped waiting: a task, a wake-up or its sleep's end. */
	void awake() {
		this.awakeSinceNanos = System.nanoTime();
		this.idle = false;
	}

	/** Whether a commit woke the thread before an upload is due (it then only plans its sleep again). */
	boolean beforeUploadDue() {
		return System.nanoTime() - this.nextUploadDueNanos < 0;
	}

	/** A commit woke the thread for a pass: look for its frames again if this pass finds none. */
	void wokenByCommit() {
		this.recheckMillis = 1;
	}

	/**
	 * A pass ended having copied {@code copied} WAL bytes; {@code timedOut} whether it began because a
	 * sleep ended rather than because of a notification.
	 */
	void passEnded(long copied, boolean timedOut) {
		if (copied > 0 || this.recheckMillis >= MAX_RECHECK_MILLIS) {
			this.recheckMillis = 0;
		}
		else if (timedOut && this.recheckMillis > 0) {
			this.recheckMillis *= 2;
		}
	}

}
