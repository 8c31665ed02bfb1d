package io.github.litestreamspring.engine;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * Storage for one replica path, in Litestream v0.3's layout:
 * <pre>
 * &lt;root&gt;/generations/&lt;generation&gt;/snapshots/&lt;index&gt;.snapshot.lz4
 * &lt;root&gt;/generations/&lt;generation&gt;/wal/&lt;index&gt;_&lt;offset&gt;.wal.lz4
 * </pre>
 * Implementations know nothing about SQLite or LZ4: they move opaque bytes under the names
 * {@link ReplicaPaths} builds. Listings are complete (paginated where the store pages), ignore
 * names that do not parse, and are sorted numerically. Writes are atomic: a reader sees the whole
 * object or none. Every method may be called from several threads.
 * <p>
 * Besides Litestream's objects, a replica path holds the compacted WAL of sealed indexes under each
 * generation ({@link CompactedWalInfo}), and one small object of ours, {@value #LEASE_NAME},
 * next to (never under) {@code generations/}: the single-writer lease. Litestream lists only under
 * {@code generations/} (v0.3) or its level directories (v0.5), so it never sees it. The lease methods
 * are compare-and-swap operations: implementations must make them atomic against other processes
 * using the same path.
 */
public interface ReplicaClient extends AutoCloseable {

	/** Name of the lease object, relative to the replica root. */
	String LEASE_NAME = "lease.json";

	/** Short type name as Litestream uses it: {@code file}, {@code s3}. */
	String type();

	/** Where this replica lives, for logs and errors; never contains a secret. */
	String describe();

	/** Generation IDs present in the replica, sorted. */
	List<String> generations() throws IOException;

	/** Snapshots of one generation, sorted by index. Empty if the generation does not exist. */
	List<SnapshotInfo> snapshots(String generation) throws IOException;

	/** WAL segments of one generation, sorted by index then offset. Empty if none. */
	List<WalSegmentInfo> walSegments(String generation) throws IOException;

	/**
	 * The snapshot of {@code generation} at {@code index}, if the replica holds one. A store that can ask
	 * for one object (S3's HEAD) does so without listing, so that a reader that checks each new WAL index
	 * for a snapshot (a follower) stays within one listing per poll.
	 */
	default Optional<SnapshotInfo> snapshot(String generation, long index) throws IOException {
		return snapshots(generation).stream().filter((s) -> s.index() == index).findFirst();
	}

	/**
	 * The WAL segments of {@code generation} in index {@code fromIndex} and later, sorted. A store that can
	 * start a listing at a key (S3's {@code StartAfter}) lists only those, so that a reader that polls the
	 * replica's end (a follower) pays for the current index, not for the generation's whole history.
	 * Decorators must forward it.
	 */
	default List<WalSegmentInfo> walSegments(String generation, long fromIndex) throws IOException {
		return walSegments(generation).stream().filter((s) -> s.index() >= fromIndex).toList();
	}

	/**
	 * The WAL segments of {@code generation} in index {@code index} only, sorted. A store that can list a
	 * key prefix (S3) lists only those; a restore asks for the few indexes that have no compacted WAL.
	 * Decorators must forward it.
	 */
	default List<WalSegmentInfo> walSegmentsInIndex(String generation, long index) throws IOException {
		return walSegments(generation, index).stream().filter((s) -> s.index() == index).toList();
	}

	/**
	 * The compacted WAL objects of one generation ({@link CompactedWalInfo}), sorted by index. Empty if
	 * there are none, and for a store that does not keep them.
	 */
	default List<CompactedWalInfo> compactedWals(String generation) throws IOException {
		return List.of();
	}

	/**
	 * Writes the compacted WAL of bytes {@code start.offset()} to {@code end} of index
	 * {@code start.index()}, streaming {@code data} (already compressed) until its end; replaces one
	 * written before for the same range (the same bytes).
	 */
	default CompactedWalInfo writeCompactedWal(Pos start, long end, boolean sealed, InputStream data)
			throws IOException {
		throw new UnsupportedOperationException(type() + " replica does not keep compacted WAL");
	}

	/**
	 * Opens a compacted WAL object for streaming.
	 * @throws java.io.FileNotFoundException if it does not exist (message names the object)
	 */
	default InputStream openCompactedWal(CompactedWalInfo wal) throws IOException {
		throw new java.io.FileNotFoundException(
				ReplicaPaths.compactedWalPath("", wal) + " in " + describe());
	}

	/** Deletes the given compacted WAL objects; missing ones are ignored. */
	default void deleteCompactedWals(List<CompactedWalInfo> wals) throws IOException {
	}

	/**
	 * Writes a snapshot object, streaming {@code data} (already compressed) until its end. Memory use
	 * must not depend on the object's size.
	 */
	SnapshotInfo writeSnapshot(String generation, long index, InputStream data) throws IOException;

	/** Writes a WAL segment object, streaming {@code data} (already compressed) until its end. */
	WalSegmentInfo writeWalSegment(Pos pos, InputStream data) throws IOException;

	/**
	 * Opens a snapshot object for streaming.
	 * @throws java.io.FileNotFoundException if it does not exist (message names the object)
	 */
	InputStream openSnapshot(String generation, long index) throws IOException;

	/**
	 * Opens a WAL segment object for streaming.
	 * @throws java.io.FileNotFoundException if it does not exist (message names the object)
	 */
	InputStream openWalSegment(Pos pos) throws IOException;

	/** Deletes the given snapshots; missing ones are ignored. */
	void deleteSnapshots(List<SnapshotInfo> snapshots) throws IOException;

	/** Deletes the given WAL segments; missing ones are ignored. */
	void deleteWalSegments(List<WalSegmentInfo> segments) throws IOException;

	/** Deletes everything stored under a generation. */
	void deleteGeneration(String generation) throws IOException;

	/**
	 * Reads the lease object.
	 * @return the lease with its version tag, or empty if there is none
	 */
	default Optional<LeaseObject> readLease() throws IOException {
		throw new UnsupportedOperationException(type() + " replica does not support leases");
	}

	/**
	 * Creates the lease object if, and only if, none exists (S3 {@code If-None-Match: *}).
	 * @return the new object's version tag, or {@code null} if a lease object already exists
	 */
	default String createLease(byte[] content) throws IOException {
		throw new UnsupportedOperationException(type() + " replica does not support leases");
	}

	/**
	 * Replaces the lease object if, and only if, its version tag is still {@code etag} (S3
	 * {@code If-Match}).
	 * @return the new version tag, or {@code null} if the object changed or vanished meanwhile
	 */
	default String replaceLease(String etag, byte[] content) throws IOException {
		throw new UnsupportedOperationException(type() + " replica does not support leases");
	}

	/**
	 * Whether the store honours the conditional writes the lease relies on: a create-if-absent of an
	 * object that exists must be refused. Asked once before the lease is first taken; a store that says
	 * yes to everything would let two writers both believe they hold it. The file replica's
	 * compare-and-swap runs under a file lock, so it needs no probe.
	 * @return {@code false} if a conditional create of an existing object succeeded
	 */
	default boolean honoursConditionalWrites() throws IOException {
		return true;
	}

	@Override
	default void close() throws IOException {
	}

}
