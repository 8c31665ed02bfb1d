package io.github.litestreamspring.engine.replication;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;

import io.github.litestreamspring.engine.Pos;

/**
 * When each recent local position was first seen, so that a replica's lag is the age of the oldest
 * commit it lacks, not the time since it last equalled the local position (which, under a writer that
 * never pauses, it never does after an upload: the database monitor moves the local position while the
 * upload runs).
 * <p>
 * An entry {@code (p, t)} says that the shadow WAL reached {@code p} at the latest at {@code t}. For a
 * replica at {@code r}, the first entry beyond {@code r} tells when the first commit it lacks was copied;
 * its age is the lag. Positions are seen when a pass starts, after each upload, after each local pass of
 * the monitor and when the status is read, so the lag is measured from when the engine copied a commit
 * (at most about 100 ms after it, under load), never from before.
 * <p>
 * Bounded: entries that every replica holds are dropped after each round; beyond {@value #MAX_ENTRIES}
 * (replicas stuck for a long time) the newest entry absorbs further positions and keeps its earlier time,
 * so the lag errs long, never short. A new generation collapses the history into one entry that keeps
 * the time of the oldest unshipped commit. Thread-safe: seen from the replication and monitor threads.
 */
final class UnshippedCommits {

	static final int MAX_ENTRIES = 1024;

	private final ArrayDeque<Entry> entries = new ArrayDeque<>();

	private record Entry(Pos pos, long nanos) {
	}

	/** The local position is {@code pos} at {@link System#nanoTime()} {@code nanos}. */
	synchronized void seen(Pos pos, long nanos) {
		if (pos.isNone()) {
			return;
		}
		Entry last = this.entries.peekLast();
		if (last == null) {
			this.entries.addLast(new Entry(pos, nanos));
			return;
		}
		if (!pos.generation().equals(last.pos().generation())) {
			long oldest = this.entries.peekFirst().nanos();
			this.entries.clear();
			this.entries.addLast(new Entry(pos, oldest));
			return;
		}
		if (pos.compareTo(last.pos()) <= 0) {
			return;
		}
		if (this.entries.size() >= MAX_ENTRIES) {
			this.entries.pollLast();
			this.entries.addLast(new Entry(pos, last.nanos()));
			return;
		}
		this.entries.addLast(new Entry(pos, nanos));
	}

	/**
	 * How long a replica at {@code replica} (its last known position) has lacked a commit, given the
	 * local position {@code local}; zero when it holds everything.
	 */
	synchronized Duration lag(Pos replica, Pos local, long nowNanos) {
		if (holds(replica, local)) {
			return Duration.ZERO;
		}
		for (Entry e : this.entries) {
			if (!holds(replica, e.pos())) {
				return Duration.ofNanos(Math.max(0, nowNanos - e.nanos()));
			}
		}
		return Duration.ZERO;
	}

	/** Drops the entries that every replica holds ({@code lowest} is the least of their positions). */
	synchronized void shipped(Pos lowest) {
		Iterator<Entry> it = this.entries.iterator();
		while (it.hasNext() && holds(lowest, it.next().pos())) {
			it.remove();
		}
	}

	synchronized int size() {
		return this.entries.size();
	}

	/** Whether a replica at {@code replica} holds every commit up to {@code local}. */
	static boolean holds(Pos replica, Pos local) {
		if (local.isNone()) {
			return true;
		}
		return !replica.isNone() && replica.generation().equals(local.generation()) && replica.compareTo(local) >= 0;
	}

}
