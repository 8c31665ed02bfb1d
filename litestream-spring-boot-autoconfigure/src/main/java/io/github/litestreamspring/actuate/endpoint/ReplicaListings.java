package io.github.litestreamspring.actuate.endpoint;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import io.github.litestreamspring.engine.replication.Replica;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

/**
 * The endpoint's view of what each replica holds (generations, snapshots, WAL segment counts), listed
 * at most once per {@link #TTL} per replica. Listing every WAL object of every generation costs one
 * LIST request per 1,000 objects: a dashboard or a script that polls {@code GET /actuator/litestream}
 * must not multiply the replica's request bill. The answer says when it was listed.
 */
public final class ReplicaListings {

	/** How long one listing answers for. */
	public static final Duration TTL = Duration.ofSeconds(30);

	private final Map<Replica, Listing> listings = new ConcurrentHashMap<>();

	private final Clock clock;

	public ReplicaListings(Clock clock) {
		this.clock = clock;
	}

	/** What {@code replica} holds, from a listing at most {@link #TTL} old. */
	public Map<String, Object> describe(Replica replica, Function<SnapshotInfo, Map<String, Object>> snapshot,
			Function<Pos, Map<String, Object>> position) {
		Instant now = this.clock.instant();
		Listing listing = this.listings.get(replica);
		if (listing == null || listing.listedAt().plus(TTL).isBefore(now)) {
			// Two callers at once may both list; the cost is bounded and the answer the same.
			listing = list(replica, snapshot, position, now);
			this.listings.put(replica, listing);
		}
		Map<String, Object> result = new LinkedHashMap<>();
		result.put("listedAt", listing.listedAt());
		if (listing.error() != null) {
			result.put("generationsError", listing.error());
		}
		else {
			result.put("generations", listing.generations());
		}
		return result;
	}

	private static Listing list(Replica replica, Function<SnapshotInfo, Map<String, Object>> snapshot,
			Function<Pos, Map<String, Object>> position, Instant now) {
		try {
			List<Map<String, Object>> generations = new ArrayList<>();
			for (String generation : replica.client().generations()) {
				Map<String, Object> g = new LinkedHashMap<>();
				g.put("generation", generation);
				g.put("snapshots", replica.client().snapshots(generation).stream().map(snapshot).toList());
				List<WalSegmentInfo> wal = replica.client().walSegments(generation);
				g.put("walSegments", wal.size());
				if (!wal.isEmpty()) {
					WalSegmentInfo last = wal.get(wal.size() - 1);
					g.put("lastWalSegment", position.apply(last.pos()));
					g.put("updatedAt", last.createdAt());
				}
				generations.add(g);
			}
			return new Listing(now, List.copyOf(generations), null);
		}
		catch (IOException | RuntimeException ex) {
			return new Listing(now, List.of(), ex.getMessage());
		}
	}

	private record Listing(Instant listedAt, List<Map<String, Object>> generations, String error) {

	}

}
