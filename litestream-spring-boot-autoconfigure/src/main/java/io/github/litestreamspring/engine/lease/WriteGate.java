package io.github.litestreamspring.engine.lease;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits or refuses the application's write transactions on one database, so that the engine can stop
 * writes at a precise moment (a lease hand-over) and know when the last one has ended.
 * <p>
 * The application side calls {@link #enter()} before a transaction's first write and {@link #exit()}
 * when the transaction ends; the gate counts the transactions in between ({@link #inFlight()}). The
 * engine side moves the gate between three states:
 * <ul>
 * <li>{@link State#OPEN OPEN}: {@code enter()} counts the transaction and returns at once;</li>
 * <li>{@link State#PAUSED PAUSED}: new transactions wait in {@code enter()} until the gate opens (they
 * then proceed), closes (they fail) or the pause timeout passes (they fail, transiently); transactions
 * already in flight go on, and {@link #awaitDrained(Duration)} waits for them to end;</li>
 * <li>{@link State#CLOSED CLOSED}: {@code enter()} fails at once, for good, with the close reason.</li>
 * </ul>
 * Independently of the state, an open gate may be put to {@linkplain #sleep(Runnable) sleep} while no
 * transaction is in flight (the leases are idle): the next {@code enter()} first runs the waker (which
 * makes the leases active again, or closes the gate if another instance took them), and transactions
 * entering meanwhile wait for it. Listeners see no change: a sleeping gate still admits writes.
 * <p>
 * Every transition is allowed ({@link #open()} after {@link #close(String)} reopens a gate whose instance
 * took the lease back). All state is guarded by one lock; listeners are told of every change after the
 * lock is released, one at a time, and should read {@link #state()} for the current state.
 */
public final class WriteGate {

	private static final Logger logger = LoggerFactory.getLogger(WriteGate.class);

	/** Default bound of a writer's wait while the gate is paused. */
	public static final Duration DEFAULT_PAUSE_TIMEOUT = Duration.ofSeconds(10);

	/** Whether writes are admitted. */
	public enum State {

		/** Writes are admitted. */
		OPEN,

		/** New write transactions wait (bounded); those in flight go on. */
		PAUSED,

		/** New write transactions fail at once. */
		CLOSED

	}

	private final String database;

	private final ReentrantLock lock = new ReentrantLock();

	/** Signalled on every state change and whenever the last transaction in flight ends. */
	private final Condition changed = this.lock.newCondition();

	private final List<Consumer<State>> listeners = new CopyOnWriteArrayList<>();

	/** Serialises listener calls, so that they see changes in order. */
	private final Object notifying = new Object();

	private volatile State state = State.OPEN;

	private volatile String reason;

	private int inFlight;

	private volatile Duration pauseTimeout = DEFAULT_PAUSE_TIMEOUT;

	/** Whether the next {@link #enter()} must run the waker first. */
	private boolean asleep;

	/** Whether a writer is running the waker (others wait). */
	private boolean waking;

	private Runnable waker;

	/** @param database how messages name the database (its path) */
	public WriteGate(String database) {
		this.database = database;
	}

	/**
	 * Admits one write transaction, to be ended with {@link #exit()}: returns at once while open, waits
	 * while paused (bounded by the pause timeout), fails while closed.
	 * @throws WriteRefusedException when the gate is closed (final), or stayed paused longer than the
	 * pause timeout or the waiting thread was interrupted (transient)
	 */
	public void enter() {
		this.lock.lock();
		try {
			awaitAwake();
			if (this.state == State.PAUSED) {
				Duration timeout = this.pauseTimeout;
				long nanos = timeout.toNanos();
				while (this.state == State.PAUSED) {
					if (nanos <= 0) {
						throw new WriteRefusedException("writes to " + this.database + " paused for " + this.reason
								+ " longer than " + timeout, true);
					}
					try {
						nanos = this.changed.awaitNanos(nanos);
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
						throw new WriteRefusedException("interrupted while writes to " + this.database
								+ " are paused for " + this.reason, true);
					}
				}
			}
			if (this.state == State.CLOSED) {
				throw new WriteRefusedException("writes to " + this.database + " are refused: " + this.reason, false);
			}
			this.inFlight++;
		}
		finally {
			this.lock.unlock();
		}
	}

	/** Ends a transaction admitted by {@link #enter()}; extra calls never take the count below zero. */
	public void exit() {
		this.lock.lock();
		try {
			if (this.inFlight > 0 && --this.inFlight == 0) {
				this.changed.signalAll();
			}
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Puts the gate to sleep if it is open and no transaction is in flight: the next {@link #enter()}
	 * runs {@code waker} first, once, while other writers wait for it.
	 * @return whether the gate sleeps now (no write can start before {@code waker} ran)
	 */
	public boolean sleep(Runnable waker) {
		this.lock.lock();
		try {
			if (this.state != State.OPEN || this.inFlight > 0) {
				return false;
			}
			this.waker = waker;
			this.asleep = true;
			return true;
		}
		finally {
			this.lock.unlock();
		}
	}

	/** Wakes the gate without running the waker (going idle failed). */
	public void awake() {
		this.lock.lock();
		try {
			this.asleep = false;
			this.changed.signalAll();
		}
		finally {
			this.lock.unlock();
		}
	}

	/** Whether the next writer runs the waker first. */
	public boolean asleep() {
		this.lock.lock();
		try {
			return this.asleep;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * With the lock held: while the gate sleeps, runs the waker (without the lock: it makes a request) or
	 * waits for the writer running it. A waker that fails (the store unreachable) is logged and the write
	 * goes on: the replica's write guard makes the leases active before the next upload, and refusing
	 * writes whenever the store is down would make the application's availability hang on it.
	 */
	private void awaitAwake() {
		while (this.asleep) {
			if (this.waking) {
				try {
					this.changed.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new WriteRefusedException("interrupted while the leases of " + this.database
							+ " were made active for a write", true);
				}
				continue;
			}
			this.waking = true;
			Runnable w = this.waker;
			this.lock.unlock();
			try {
				w.run();
			}
			catch (RuntimeException ex) {
				logger.warn("Write to {} admitted with its leases still idle: {}", this.database, ex.getMessage());
			}
			finally {
				this.lock.lock();
				this.waking = false;
				this.asleep = false;
				this.changed.signalAll();
			}
		}
	}

	/** New write transactions wait (up to the pause timeout) until {@link #open()} or {@link #close(String)}. */
	public void pause(String reason) {
		transition(State.PAUSED, reason);
	}

	/** New write transactions fail at once with {@code reason}; writers waiting in a pause fail too. */
	public void close(String reason) {
		transition(State.CLOSED, reason);
	}

	/** Admits writes again; writers waiting in a pause proceed. */
	public void open() {
		transition(State.OPEN, null);
	}

	/**
	 * Waits until no admitted transaction is in flight (use after {@link #pause(String)} or
	 * {@link #close(String)}, else new ones may start at any time).
	 * @return whether none was in flight within {@code timeout}
	 */
	public boolean awaitDrained(Duration timeout) throws InterruptedException {
		long nanos = timeout.toNanos();
		this.lock.lock();
		try {
			while (this.inFlight > 0) {
				if (nanos <= 0) {
					return false;
				}
				nanos = this.changed.awaitNanos(nanos);
			}
			return true;
		}
		finally {
			this.lock.unlock();
		}
	}

	public State state() {
		return this.state;
	}

	/** Why the gate is paused or closed; {@code null} while open. */
	public String reason() {
		return this.reason;
	}

	/** Admitted transactions not yet ended. */
	public int inFlight() {
		this.lock.lock();
		try {
			return this.inFlight;
		}
		finally {
			this.lock.unlock();
		}
	}

	public Duration pauseTimeout() {
		return this.pauseTimeout;
	}

	/** How long a writer waits in a paused gate before it fails; default {@link #DEFAULT_PAUSE_TIMEOUT}. */
	public void setPauseTimeout(Duration timeout) {
		if (timeout == null || timeout.isNegative()) {
			throw new IllegalArgumentException("pause timeout must be zero or positive, was " + timeout);
		}
		this.pauseTimeout = timeout;
	}

	/** Calls {@code listener} after every change with the state at that moment (calls come one at a time). */
	public void addListener(Consumer<State> listener) {
		this.listeners.add(listener);
	}

	public void removeListener(Consumer<State> listener) {
		this.listeners.remove(listener);
	}

	private void transition(State to, String why) {
		State from;
		this.lock.lock();
		try {
			from = this.state;
			if (from == to && Objects.equals(this.reason, why)) {
				return;
			}
			this.state = to;
			this.reason = why;
			this.changed.signalAll();
		}
		finally {
			this.lock.unlock();
		}
		if (to == State.OPEN) {
			logger.info("Writes to {} admitted again (were {})", this.database, from.name().toLowerCase(Locale.ROOT));
		}
		else {
			logger.info("Writes to {} {}: {} ({} transaction(s) in flight)", this.database,
					(to == State.PAUSED) ? "paused" : "closed", why, inFlight());
		}
		synchronized (this.notifying) {
			for (Consumer<State> listener : this.listeners) {
				try {
					listener.accept(this.state);
				}
				catch (RuntimeException ex) {
					logger.warn("Write gate listener of {} failed: {}", this.database, ex.toString());
				}
			}
		}
	}

}
