package io.github.litestreamspring.actuate.endpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.replica.DelegatingReplicaClient;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /actuator/litestream} lists what a replica holds at most once per interval, however often
 * it is polled.
 */
class ReplicaListingsTests {

	@TempDir
	Path dir;

	@Test
	void aReplicaIsListedAtMostOncePerInterval() throws Exception {
		Path db = this.dir.resolve("app.db");
		CountingClient client = new CountingClient(new FileReplicaClient(this.dir.resolve("replica")));
		Replica replica = new Replica(ReplicaOptions.defaults("file"), client);
		try (TestDatabase app = new TestDatabase(db); Replicator replicator = new Replicator(DatabaseOptions.defaults(db),
				List.of(replica))) {
			replicator.start();
			app.insertBatch(0, 10, 100);
			replicator.syncNow();
		}
		MutableClock clock = new MutableClock();
		ReplicaListings listings = new ReplicaListings(clock);
		int before = client.lists.get();
		Map<String, Object> first = listings.describe(replica, (s) -> Map.of("index", s.index()), (p) -> Map.of());
		int afterFirst = client.lists.get();
		assertThat(afterFirst).isGreaterThan(before);
		assertThat(first).containsKeys("generations", "listedAt");
		for (int i = 0; i < 10; i++) {
			clock.now = clock.now.plusSeconds(2);
			assertThat(listings.describe(replica, (s) -> Map.of("index", s.index()), (p) -> Map.of())).isEqualTo(first);
		}
		assertThat(client.lists.get()).as("polled 10 times within the interval").isEqualTo(afterFirst);
		clock.now = clock.now.plus(ReplicaListings.TTL);
		Map<String, Object> later = listings.describe(replica, (s) -> Map.of("index", s.index()), (p) -> Map.of());
		assertThat(client.lists.get()).isGreaterThan(afterFirst);
		assertThat(later.get("listedAt")).isEqualTo(clock.now);
	}

	private static final class MutableClock extends Clock {

		Instant now = Instant.parse("2026-12-06T00:00:00Z");

		@Override
		public ZoneOffset getZone() {
			return ZoneOffset.UTC;
		}

		@Override
		public Clock withZone(java.time.ZoneId zone) {
			return this;
		}

		@Override
		public Instant instant() {
			return this.now;
		}

	}

	/** Counts listing calls; delegates everything. */
	private static final class CountingClient extends DelegatingReplicaClient {

		final AtomicInteger lists = new AtomicInteger();

		CountingClient(ReplicaClient delegate) {
			super(delegate);
		}

		@Override
		public List<String> generations() throws IOException {
			this.lists.incrementAndGet();
			return super.generations();
		}

		@Override
		public List<SnapshotInfo> snapshots(String generation) throws IOException {
			this.lists.incrementAndGet();
			return super.snapshots(generation);
		}

		@Override
		public List<WalSegmentInfo> walSegments(String generation) throws IOException {
			this.lists.incrementAndGet();
			return super.walSegments(generation);
		}

	}

}
