package io.github.litestreamspring.engine.restore;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Counts downloaded bytes of a restore and logs percent and MB/s every few seconds. */
final class RestoreProgress {

	private static final Logger logger = LoggerFactory.getLogger(Restorer.class);

	private static final long LOG_EVERY_NANOS = 5_000_000_000L;

	private final Path output;

	private final long total;

	private final long started = System.nanoTime();

	private final AtomicLong downloaded = new AtomicLong();

	private final AtomicLong lastLog = new AtomicLong(System.nanoTime());

	RestoreProgress(Path output, long total) {
		this.output = output;
		this.total = total;
	}

	void add(long bytes) {
		long done = this.downloaded.addAndGet(bytes);
		long now = System.nanoTime();
		long last = this.lastLog.get();
		if (now - last >= LOG_EVERY_NANOS && this.lastLog.compareAndSet(last, now)) {
			logger.info("{}: restore {}% ({} of {} MB) at {} MB/s", this.output,
					(this.total > 0) ? done * 100 / this.total : 100, mb(done), mb(this.total),
					mbPerSecond(now - this.started));
		}
	}

	long downloaded() {
		return this.downloaded.get();
	}

	String mbPerSecond(long nanos) {
		return String.format("%.1f", (nanos <= 0) ? 0.0 : this.downloaded.get() / 1048576.0 / (nanos / 1e9));
	}

	private static String mb(long bytes) {
		return String.format("%.1f", bytes / 1048576.0);
	}

}
