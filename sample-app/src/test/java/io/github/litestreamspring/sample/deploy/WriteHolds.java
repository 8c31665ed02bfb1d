package io.github.litestreamspring.sample.deploy;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Test-only (on the test class path, so the deploy tests' child JVMs pick it up; off unless
 * {@code deploy-test.write-holds=true}): keeps a write transaction of the application open at every
 * moment, so that a hand-over's drain lasts long enough to be seen from outside. Two threads, started
 * half a hold apart, each loop: borrow a pooled connection, write in a transaction, wait, roll back. The
 * write goes to a TEMP table: it passes the write gate like any other write transaction (the gate judges
 * the statement) but takes no lock on the database itself, so the application's real writes are not
 * delayed. A refused hold (paused too long, or closed after the hand-over) is retried after a moment.
 */
@RestController
@ConditionalOnProperty(name = "deploy-test.write-holds", havingValue = "true")
class WriteHolds {

	private static final Logger logger = LoggerFactory.getLogger(WriteHolds.class);

	private final DataSource dataSource;

	private final AtomicInteger started = new AtomicInteger();

	WriteHolds(DataSource dataSource) {
		this.dataSource = dataSource;
	}

	/** Starts the two holding threads, for at most {@code forMillis}; each hold lasts {@code holdMillis}. */
	@PostMapping("/deploy-test/write-holds")
	String start(@RequestParam long holdMillis, @RequestParam long forMillis) {
		long until = System.currentTimeMillis() + forMillis;
		for (int i = 0; i < 2; i++) {
			long delay = i * holdMillis / 2;
			Thread t = new Thread(() -> holdLoop(delay, holdMillis, until),
					"write-hold-" + this.started.incrementAndGet());
			t.setDaemon(true);
			t.start();
		}
		logger.info("write holds of {} ms started, two at a time half a hold apart, for {} ms", holdMillis, forMillis);
		return "started";
	}

	private void holdLoop(long delay, long holdMillis, long until) {
		try {
			Thread.sleep(delay);
			while (System.currentTimeMillis() < until) {
				try (Connection c = this.dataSource.getConnection(); Statement s = c.createStatement()) {
					s.execute("CREATE TEMP TABLE IF NOT EXISTS deploy_test_hold (at INTEGER)");
					c.setAutoCommit(false);
					try {
						s.execute("INSERT INTO temp.deploy_test_hold (at) VALUES (" + System.currentTimeMillis() + ")");
						Thread.sleep(holdMillis);
					}
					finally {
						c.rollback();
						c.setAutoCommit(true);
					}
				}
				catch (SQLException ex) {
					logger.info("write hold refused: {}", ex.getMessage());
					Thread.sleep(500);
				}
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
