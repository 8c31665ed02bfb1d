package io.github.litestreamspring.engine.restore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.CompactedWalInfo;
import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.WalSegmentInfo;

/**
 * Replays a plan's WAL onto the database under construction, as a pipeline:
 * <ul>
 * <li>segments are downloaded and decompressed by {@code parallelism} threads, many at a time, across
 * index boundaries — a replica written in low-latency mode has thousands of small segments, and
 * fetching them one by one is what makes such restores slow;</li>
 * <li>they are appended strictly in (index, offset) order to their index's WAL file, each checked to
 * start exactly where the previous ended;</li>
 * <li>each completed index is checked frame by frame ({@link WalIndexCheck}) and applied by SQLite
 * ({@code wal_checkpoint(TRUNCATE)}) while later segments are still downloading.</li>
 * </ul>
 * Memory is bounded by a constant, not by the window or the segments: a segment is kept in memory only
 * while it decodes to at most {@value #IN_MEMORY_LIMIT} bytes and all segments in memory together stay
 * within {@value #IN_MEMORY_BUDGET} bytes ({@link SegmentMemory}); the rest go through temporary files.
 * (The limits are on the decoded size because WAL frames compress well: a segment of a few hundred KiB
 * can hold tens of MiB.) Each download decodes through its stored LZ4 block and an output buffer of up
 * to 4 MiB, so downloads together reserve at most {@value #DOWNLOAD_BUDGET} bytes of such working
 * memory (two of the largest blocks, three segments of ~1 MiB); segments of a few KiB reserve a few tens
 * of KiB and keep the full parallelism that many-segment restores need.
 */
final class WalReplay {

	private static final Logger logger = LoggerFactory.getLogger(Restorer.class);

	/** Segments that decode to more than this are decompressed to a file instead of memory. */
	private static final int IN_MEMORY_LIMIT = 1024 * 1024;

	/** Decoded bytes all segments waiting in memory may hold together. */
	private static final int IN_MEMORY_BUDGET = 8 * 1024 * 1024;

	/** Decoding buffers all downloads running at once may hold together ({@link SegmentMemory#startDownload}). */
	private static final int DOWNLOAD_BUDGET = 16 * 1024 * 1024;

	private final ReplicaClient client;

	private final RestorePlan plan;

	private final RestoreFiles files;

	private final int parallelism;

	private final RestoreProgress progress;

	private final SegmentMemory memory = new SegmentMemory(IN_MEMORY_LIMIT, IN_MEMORY_BUDGET, DOWNLOAD_BUDGET);

	/** Set once the replay gives up: a download finishing later deletes its file instead of keeping it. */
	private volatile boolean abandoned;

	/** Whether each index is applied to {@link RestoreFiles#tmp()}; if not, only assembled and checked. */
	private boolean applying = true;

	/** The database each index is applied to: {@link RestoreFiles#tmp()} unless {@link #applyingTo} says otherwise. */
	private Path database;

	/** Where the last index's assembled WAL is copied before it is applied; {@code null} for nowhere. */
	private Path lastIndexCopy;

	/** The last index applied and the end of its last whole transaction; {@code null} before the first. */
	private Pos end;

	WalReplay(ReplicaClient client, RestorePlan plan, RestoreFiles files, int parallelism, RestoreProgress progress) {
		this.client = client;
		this.plan = plan;
		this.files = files;
		this.database = files.tmp();
		this.parallelism = parallelism;
		this.progress = progress;
	}

	/**
	 * Keeps the last index's WAL, as assembled from the replica and checked, in {@code copy}: the bytes a
	 * continued generation's shadow WAL must hold ({@link Continuation}).
	 */
	WalReplay keepingLastIndexAs(Path copy) {
		this.lastIndexCopy = copy;
		return this;
	}

	/**
	 * Applies each index to {@code closedDatabase} itself instead of the restore's temporary file (a
	 * follower's idle copy, {@link WalCatchUp}): its WAL is moved to {@code <database>-wal} and checkpointed.
	 * Nothing else may have the file open.
	 */
	WalReplay applyingTo(Path closedDatabase) {
		this.database = closedDatabase;
		return this;
	}

	/** Assembles and checks every index without applying it (with {@link #keepingLastIndexAs}). */
	WalReplay withoutApplying() {
		this.applying = false;
		return this;
	}

	/**
	 * The exact position the replay reached: the last index and the end of its last whole transaction;
	 * {@code null} if the plan had no segment.
	 */
	Pos end() {
		return this.end;
	}

	void run() throws IOException, SQLException {
		List<WalSegmentInfo> segments = this.plan.segments();
		if (segments.isEmpty()) {
			return;
		}
		AtomicInteger threads = new AtomicInteger();
		ExecutorService pool = Executors.newFixedThreadPool(this.parallelism, (r) -> {
			Thread t = new Thread(r, "litestream-restore-" + threads.incrementAndGet());
			t.setDaemon(true);
			return t;
		});
		int window = this.parallelism * 8;
		Deque<Future<Fetched>> inFlight = new ArrayDeque<>();
		IndexFile current = null;
		int next = 0;
		try {
			while (next < segments.size() || !inFlight.isEmpty()) {
				while (next < segments.size() && inFlight.size() < window) {
					WalSegmentInfo segment = segments.get(next++);
					inFlight.add(pool.submit(() -> fetch(segment)));
				}
				Fetched fetched = await(inFlight.removeFirst());
				WalSegmentInfo segment = fetched.segment();
				if (current != null && current.index != segment.index()) {
					apply(current);
					current = null;
				}
				if (current == null) {
					current = new IndexFile(segment.index(), this.files.indexWal(segment.index()));
				}
				current.append(fetched);
			}
			if (current != null) {
				apply(current);
				current = null;
			}
		}
		finally {
			this.abandoned = true;
			pool.shutdownNow();
			for (Future<Fetched> f : inFlight) {
				f.cancel(true);
			}
			awaitTermination(pool);
			// A failure leaves downloaded but unapplied data behind: remove it all (the restorer also
			// removes by name whatever a download still running after the wait writes).
			for (Future<Fetched> f : inFlight) {
				discard(f);
			}
			if (current != null) {
				current.delete();
			}
		}
	}

	/**
	 * Downloads and decompresses one segment or compacted object (to memory when it decodes to little),
	 * once its decoding memory fits the downloads' budget.
	 */
	private Fetched fetch(WalSegmentInfo segment) throws IOException {
		String name = objectName(segment);
		try (SegmentMemory.Download download = this.memory.startDownload(segment.size());
				InputStream in = Lz4Decoding.open(openStored(segment), this.progress, name)) {
			SegmentMemory.Buffer head = null;
			if (segment.size() <= IN_MEMORY_LIMIT) {
				head = this.memory.read(in, segment.size());
				if (head.complete()) {
					return new Fetched(segment, head, null);
				}
			}
			Path file = this.files.segment(segment.index(), segment.offset());
			try (OutputStream out = Files.newOutputStream(file)) {
				if (head != null) {
					head.writeTo(out);
					this.memory.release(head);
					head = null;
				}
				in.transferTo(out);
			}
			catch (IOException | RuntimeException ex) {
				deleteQuietly(file);
				throw ex;
			}
			finally {
				if (head != null) {
					this.memory.release(head);
				}
			}
			if (this.abandoned) {
				deleteQuietly(file);
				throw new IOException("restore abandoned");
			}
			return new Fetched(segment, null, file);
		}
		catch (IOException ex) {
			throw new IOException("cannot read " + name + " from " + this.client.describe() + ": "
					+ ex.getMessage(), ex);
		}
	}

	/** The object behind a plan entry: a segment, or the compacted WAL standing for a range of them. */
	private InputStream openStored(WalSegmentInfo segment) throws IOException {
		CompactedWalInfo compacted = this.plan.compacted().get(segment.pos());
		return (compacted != null) ? this.client.openCompactedWal(compacted) : this.client.openWalSegment(segment.pos());
	}

	private void apply(IndexFile index) throws IOException, SQLException {
		index.close();
		List<WalSegmentInfo> segments = this.plan.segmentsByIndex().get(index.index);
		long committed = new WalIndexCheck(index.file, this.plan.generation(), index.index, segments,
				this.client.describe()).check();
		this.end = new Pos(this.plan.generation(), index.index, committed);
		if (this.lastIndexCopy != null && index.index == this.plan.lastIndex()) {
			Files.copy(index.file, this.lastIndexCopy, StandardCopyOption.REPLACE_EXISTING);
		}
		if (!this.applying) {
			Files.delete(index.file);
			return;
		}
		Path target = this.database.resolveSibling(this.database.getFileName() + "-wal");
		Files.move(index.file, target, StandardCopyOption.REPLACE_EXISTING);
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + this.database);
				Statement st = c.createStatement();
				ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
			rs.next();
			if (rs.getInt(1) != 0) {
				throw new IOException("truncation checkpoint failed while applying WAL index "
						+ ReplicaPaths.formatIndex(index.index));
			}
		}
		logger.debug("{}: applied WAL index {}", this.database, ReplicaPaths.formatIndex(index.index));
	}

	private String objectName(WalSegmentInfo segment) {
		CompactedWalInfo compacted = this.plan.compacted().get(segment.pos());
		if (compacted != null) {
			return ReplicaPaths.compactedWalPath("", compacted);
		}
		return ReplicaPaths.walSegmentPath("", this.plan.generation(), segment.index(), segment.offset());
	}

	private static Fetched await(Future<Fetched> future) throws IOException {
		try {
			return future.get();
		}
		catch (ExecutionException ex) {
			Throwable cause = ex.getCause();
			if (cause instanceof IOException io) {
				throw io;
			}
			if (cause instanceof RuntimeException re) {
				throw re;
			}
			throw new IOException(cause);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException("restore interrupted", ex);
		}
	}

	private static void discard(Future<Fetched> future) {
		try {
			if (future.isDone() && !future.isCancelled()) {
				Fetched f = future.get();
				if (f.file() != null) {
					Files.deleteIfExists(f.file());
				}
			}
		}
		catch (Exception ex) {
			// failed or cancelled: nothing was kept
		}
	}

	/**
	 * Waits (bounded) for the downloads to end even when the restoring thread was interrupted: a
	 * cancelled restore must not return while a download can still write a temporary file.
	 */
	private static void awaitTermination(ExecutorService pool) {
		boolean interrupted = Thread.interrupted();
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
		try {
			while (true) {
				try {
					if (!pool.awaitTermination(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
						logger.warn("WAL downloads still running 30 s after a failed restore; each deletes its "
								+ "temporary file when it ends");
					}
					return;
				}
				catch (InterruptedException ex) {
					interrupted = true;
				}
			}
		}
		finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
		}
	}

	private static void deleteQuietly(Path file) {
		try {
			Files.deleteIfExists(file);
		}
		catch (IOException ex) {
			logger.debug("cannot delete {}: {}", file, ex.getMessage());
		}
	}

	/** A downloaded, decompressed segment: in memory, or in a temporary file. */
	private record Fetched(WalSegmentInfo segment, SegmentMemory.Buffer data, Path file) {
	}

	/** The WAL of one index being assembled from its segments in offset order. */
	private final class IndexFile {

		final long index;

		final Path file;

		private final OutputStream out;

		private long written;

		private final List<Path> consumed = new ArrayList<>();

		IndexFile(long index, Path file) throws IOException {
			this.index = index;
			this.file = file;
			this.out = Files.newOutputStream(file);
		}

		void append(Fetched fetched) throws IOException {
			WalSegmentInfo segment = fetched.segment();
			if (segment.offset() != this.written) {
				if (fetched.file() != null) {
					Files.deleteIfExists(fetched.file());
				}
				throw new LitestreamException("missing WAL segment before " + objectName(segment) + " in "
						+ WalReplay.this.client.describe() + ": index " + ReplicaPaths.formatIndex(this.index) + " has "
						+ this.written + " bytes but the next segment starts at offset " + segment.offset());
			}
			if (fetched.data() != null) {
				this.out.write(fetched.data().bytes(), 0, fetched.data().length());
				this.written += fetched.data().length();
				WalReplay.this.memory.release(fetched.data());
			}
			else {
				this.written += Files.copy(fetched.file(), this.out);
				Files.deleteIfExists(fetched.file());
			}
			CompactedWalInfo compacted = WalReplay.this.plan.compacted().get(segment.pos());
			if (compacted != null && this.written != compacted.end()) {
				throw new LitestreamException(objectName(segment) + " in " + WalReplay.this.client.describe()
						+ " ends at offset " + this.written + " of its index, but its name says " + compacted.end());
			}
		}

		void close() throws IOException {
			this.out.close();
		}

		void delete() {
			try {
				this.out.close();
				Files.deleteIfExists(this.file);
			}
			catch (IOException ex) {
				logger.debug("cannot delete {}: {}", this.file, ex.getMessage());
			}
		}

	}

}
