package io.github.litestreamspring.engine.replication;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.CompactedWalInfo;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.db.Database;
import io.github.litestreamspring.engine.lz4.Lz4CompressingInputStream;

/**
 * Writes one replica's compacted WAL ({@link CompactedWalInfo}), so that a restore reads a number of
 * objects that does not grow with the number of segments:
 * <ul>
 * <li>each run of {@value #RUN} segments of the index being written becomes one object, so the index a
 * restore finds unsealed costs at most a few dozen requests however many commits it holds;</li>
 * <li>once an index is sealed (the replica has all of it and the next index has begun) all of it
 * becomes one object, and this run's objects of that index are deleted.</li>
 * </ul>
 * The bytes come from the local shadow WAL, the same bytes the segments were cut from (the replica
 * position learnt at start-up is checked against it, {@link ReplicaHistory}), so nothing is downloaded.
 * Nothing depends on them being written: the segments stay the replica's truth, and a restore reads
 * segments wherever no compacted object covers a range (not written yet, lost in a crash, its shadow
 * WAL already pruned, its upload failed). So a failure is logged and retried at the next sync, and a
 * range whose shadow WAL is gone is dropped.
 */
final class WalCompaction {

	private static final Logger logger = LoggerFactory.getLogger(Replica.class);

	/** Segments of the index being written per compacted object. */
	static final int RUN = 64;

	/** Objects waiting to be written; beyond this many (a long outage) the oldest are dropped. */
	private static final int MAX_PENDING = 64;

	private final Deque<Range> pending = new ArrayDeque<>();

	/** The index whose segments are counted, where its current run starts, and how many it has. */
	private Pos run = Pos.NONE;

	private int segmentsInRun;

	/** Objects of runs written for {@link #run}'s index: deleted once its whole-index object is written. */
	private final List<CompactedWalInfo> runsWritten = new ArrayList<>();

	/** A segment from {@code start} to {@code end} is on the replica. */
	void shipped(Pos start, long end) {
		if (!start.generation().equals(this.run.generation()) || start.index() != this.run.index()) {
			// Whatever was shipped of this index before (another run of the process) is in the local
			// shadow WAL too: the first run starts at the index's beginning.
			this.run = new Pos(start.generation(), start.index(), 0);
			this.segmentsInRun = 0;
		}
		if (++this.segmentsInRun >= RUN) {
			add(new Range(this.run, end, false));
			this.run = new Pos(start.generation(), start.index(), end);
			this.segmentsInRun = 0;
		}
	}

	/** The replica has all of the index of {@code end}, which ends there, and the next index has begun. */
	void sealed(Pos end) {
		add(new Range(new Pos(end.generation(), end.index(), 0), end.offset(), true));
		this.run = Pos.NONE;
		this.segmentsInRun = 0;
	}

	private void add(Range range) {
		this.pending.addLast(range);
		while (this.pending.size() > MAX_PENDING) {
			Range dropped = this.pending.removeFirst();
			logger.debug("compacted WAL {} not written: too many waiting", dropped);
		}
	}

	/** Writes every object waiting, oldest first; stops at a failure, to retry at the next sync. */
	void writePending(Database db, ReplicaClient client, String replica) {
		while (!this.pending.isEmpty()) {
			Range range = this.pending.peekFirst();
			Pos start = range.start();
			try {
				long size = db.shadowWalSize(start.generation(), start.index());
				if (size < range.end() || (range.whole() && size != range.end())) {
					// Pruned (or another generation's now): the segments serve restores.
					this.pending.removeFirst();
					continue;
				}
				CompactedWalInfo written;
				try (Lz4CompressingInputStream compressed = new Lz4CompressingInputStream(
						db.readShadowWal(start, range.end()))) {
					written = client.writeCompactedWal(start, range.end(), range.whole(), compressed);
				}
				this.pending.removeFirst();
				logger.debug("{}: compacted WAL {} ({} bytes, {} compressed) written to replica '{}'", db.path(), range,
						range.end() - start.offset(), written.size(), replica);
				if (range.whole()) {
					deleteRuns(client, start, db, replica);
				}
				else {
					this.runsWritten.add(written);
				}
			}
			catch (IOException | RuntimeException ex) {
				logger.warn("{}: cannot write compacted WAL {} to replica '{}' (restores read its segments meanwhile; "
						+ "retried at the next sync): {}", db.path(), range, replica, ex.getMessage());
				return;
			}
		}
	}

	/** The runs of a sealed index are covered by its whole-index object now. */
	private void deleteRuns(ReplicaClient client, Pos index, Database db, String replica) {
		List<CompactedWalInfo> runs = this.runsWritten.stream()
			.filter((c) -> c.generation().equals(index.generation()) && c.index() == index.index())
			.toList();
		this.runsWritten.removeIf((c) -> !c.generation().equals(index.generation()) || c.index() <= index.index());
		if (runs.isEmpty()) {
			return;
		}
		try {
			client.deleteCompactedWals(runs);
		}
		catch (IOException | RuntimeException ex) {
			// Harmless: a restore prefers the whole-index object, and retention deletes these later.
			logger.debug("{}: cannot delete {} compacted WAL run(s) of a sealed index from replica '{}': {}", db.path(),
					runs.size(), replica, ex.getMessage());
		}
	}

	/** Bytes {@code start.offset()} to {@code end} of an index; {@code whole} if that is all of it. */
	private record Range(Pos start, long end, boolean whole) {

		@Override
		public String toString() {
			return ReplicaPaths.compactedPath("", this.start.generation()) + "/"
					+ ReplicaPaths.compactedWalName(this.start.index(), this.start.offset(), this.end, this.whole);
		}

	}

}
