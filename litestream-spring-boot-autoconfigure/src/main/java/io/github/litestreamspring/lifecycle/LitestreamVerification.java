package io.github.litestreamspring.lifecycle;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.github.litestreamspring.engine.verify.RestoreVerifier;
import io.github.litestreamspring.engine.verify.VerificationResult;

/**
 * Restore verification of one database ({@link RestoreVerifier}): on demand through
 * {@link #verify()} (the endpoint's {@code verify} operation) and, when
 * {@code litestream.verification.interval} is positive, on a schedule while replication runs. Health,
 * metrics and the endpoint read {@link #last()}.
 */
public class LitestreamVerification implements SmartLifecycle {

	private static final Logger logger = LoggerFactory.getLogger(LitestreamVerification.class);

	private final RestoreVerifier verifier;

	private final Duration interval;

	private ScheduledExecutorService scheduler;

	private final LitestreamReplication replication;

	private volatile LitestreamOperationObserver observer = LitestreamOperationObserver.NONE;

	public LitestreamVerification(LitestreamReplication replication, Duration interval, Path scratchDir) {
		this.replication = replication;
		this.verifier = new RestoreVerifier(replication.replicator(), scratchDir);
		this.interval = (interval != null) ? interval : Duration.ZERO;
	}

	public RestoreVerifier verifier() {
		return this.verifier;
	}

	/**
	 * Verifies now and returns the result (also recorded as {@link #last()}); observed as
	 * {@code litestream.verify}.
	 */
	public VerificationResult verify() {
		return this.observer.observe(LitestreamOperationObserver.Operation.VERIFICATION, this.replication,
				this.verifier::verify, (r) -> r.ok() ? "success" : "failure");
	}

	/** Observes every verification from now on. */
	public void setObserver(LitestreamOperationObserver observer) {
		this.observer = (observer != null) ? observer : LitestreamOperationObserver.NONE;
	}

	/** The last verification, or {@code null} before the first. */
	public VerificationResult last() {
		return this.verifier.last();
	}

	public Duration interval() {
		return this.interval;
	}

	@Override
	public synchronized void start() {
		if (this.scheduler != null || this.interval.isZero() || this.interval.isNegative()) {
			return;
		}
		this.scheduler = Executors.newSingleThreadScheduledExecutor((r) -> {
			Thread t = new Thread(r, "litestream-verify-" + this.replication.name());
			t.setDaemon(true);
			return t;
		});
		long millis = Math.max(1, this.interval.toMillis());
		// Fixed delay: a slow restore never makes runs pile up.
		this.scheduler.scheduleWithFixedDelay(this::verifyQuietly, millis, millis, TimeUnit.MILLISECONDS);
	}

	private void verifyQuietly() {
		if (this.replication.isFollowing()) {
			return; // a follower has no live primary database to compare with its replica
		}
		try {
			verify();
		}
		catch (RuntimeException ex) {
			logger.error("restore verification could not run: {}", ex.getMessage(), ex);
		}
	}

	@Override
	public synchronized void stop() {
		if (this.scheduler != null) {
			this.scheduler.shutdownNow();
			this.scheduler = null;
		}
	}

	@Override
	public synchronized boolean isRunning() {
		return this.scheduler != null;
	}

	/** Starts after replication and stops before it: a verification needs the replication thread. */
	@Override
	public int getPhase() {
		return LitestreamReplication.PHASE + 1;
	}

}
