package io.github.litestreamspring.engine.follower;

import java.io.IOException;
import java.time.Instant;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.follower.FollowerCopy.Held;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.engine.restore.WalCatchUp;

/**
 * Brings one of a follower's copies, closed and unused, to a newer state: by a catch-up with the WAL of
 * its generation ({@link WalCatchUp}) when the replica still holds every segment it needs and no snapshot
 * stands for WAL the replica may lack, else by a restore of the generation from scratch.
 */
final class CopyUpdater {

	/** Up to this many new WAL indexes are checked for a snapshot one object each; more with one listing. */
	private static final int MAX_SNAPSHOT_PROBES = 8;

	private static final Logger logger = LoggerFactory.getLogger(Follower.class);

	private final FollowerReplicaClient client;

	private final FollowerOptions options;

	CopyUpdater(FollowerReplicaClient client, FollowerOptions options) {
		this.client = client;
		this.options = options;
	}

	/**
	 * Of the generations that appeared since the last listing, the one with the newest object (the one
	 * the primary writes now: it began it after the served one); {@code null} for the replica's latest.
	 * Restoring "the latest" instead could pick the served generation again when both end in the same
	 * second (object timestamps have second resolution on S3), and the new one would never be followed.
	 */
	String newest(List<String> fresh) throws IOException {
		String newest = null;
		Instant newestAt = null;
		for (String generation : fresh) {
			Instant at = null;
			for (SnapshotInfo s : this.client.snapshots(generation)) {
				at = (at == null || s.createdAt().isAfter(at)) ? s.createdAt() : at;
			}
			if (at == null) {
				continue; // no snapshot (a crashed first snapshot): cannot be restored
			}
			for (WalSegmentInfo s : this.client.walSegments(generation)) {
				at = s.createdAt().isAfter(at) ? s.createdAt() : at;
			}
			if (newestAt == null || !at.isBefore(newestAt)) {
				newest = generation;
				newestAt = at;
			}
		}
		return newest;
	}

	/**
	 * The first index in {@code (from, to]} that has a snapshot ({@link WalCatchUp#snapshotBetween}), or
	 * {@code null}. A few new indexes are asked one object each (S3: a HEAD, no listing, so a poll stays at
	 * one LIST); many (a follower far behind) with one listing of the snapshots.
	 */
	private Long snapshotPast(String generation, long from, long to) throws IOException {
		if (to - from > MAX_SNAPSHOT_PROBES) {
			return WalCatchUp.snapshotBetween(this.client.snapshots(generation), from, to);
		}
		for (long index = from + 1; index <= to; index++) {
			if (this.client.snapshot(generation, index).isPresent()) {
				return index;
			}
		}
		return null;
	}

	/** The copy caught up with {@code segments}, or {@code null} when only a restore can bring it forward. */
	Held catchUp(FollowerCopy copy, Held held, List<WalSegmentInfo> segments) throws IOException {
		String generation = held.position().generation();
		long lastIndex = segments.isEmpty() ? held.position().index() : segments.get(segments.size() - 1).index();
		if (lastIndex > held.position().index()) {
			// Never across a snapshot past the copy's index (WalCatchUp.snapshotBetween says why).
			Long past = snapshotPast(generation, held.position().index(), lastIndex);
			if (past != null) {
				logger.info("{}: the replica has a snapshot at WAL index {} past the {} {} holds; restoring it from "
						+ "the snapshot", this.options.database(), ReplicaPaths.formatIndex(past), held.position(),
						copy.file());
				return null;
			}
		}
		try {
			Pos end = WalCatchUp.applyInPlace(this.client, copy.file(), held.position(), segments,
					this.options.parallelism());
			Instant newest = held.newestObject();
			for (WalSegmentInfo s : segments) {
				if (s.index() >= held.position().index() && s.pos().compareTo(end) < 0 && s.createdAt().isAfter(newest)) {
					newest = s.createdAt();
				}
			}
			return new Held(end, newest);
		}
		catch (LitestreamException ex) {
			logger.info("{}: {}; restoring {} from scratch", this.options.database(), ex.getMessage(), copy.file());
			return null;
		}
	}

	Held restore(FollowerCopy copy, String generation) {
		RestoreOptions options = new RestoreOptions(copy.file(), generation, -1, null, this.options.parallelism(),
				false, false, true);
		RestoreResult result = new Restorer(this.client).restore(options);
		return new Held(result.position(), result.plan().updatedAt());
	}

}
