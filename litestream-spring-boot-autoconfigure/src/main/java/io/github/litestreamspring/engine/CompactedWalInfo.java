package io.github.litestreamspring.engine;

import java.time.Instant;

/**
 * A compacted WAL object in a replica: bytes {@code start} to {@code end} of one WAL index's
 * uncompressed WAL, exactly the concatenation of the segments in that range, so that a restore reads
 * one object instead of many segments. A sealed index gets one object for all of it ({@code start}
 * 0, {@code end} where its last segment ends); the index still being written gets one per run of
 * segments. Ours, not Litestream's: they live under {@code generations/<generation>/compacted/}, which
 * Litestream (v0.3 and v0.5's v3 reader) never lists, beside the segments, which stay for Litestream and
 * for point-in-time restores inside a range.
 *
 * @param generation the generation
 * @param index the WAL index
 * @param start offset of the first byte, a segment's start
 * @param end offset after the last byte, a segment's end
 * @param sealed whether it is all of a sealed index ({@code start} 0, {@code end} the index's end): only
 * such an object tells a restore that it need not list the index's segments. Its name says so
 * @param size compressed size in bytes
 * @param createdAt when the object was written (after every segment in its range)
 */
public record CompactedWalInfo(String generation, long index, long start, long end, boolean sealed, long size,
		Instant createdAt) {

	/**
	 * The object named {@code name} (a file name, or a key's last part) in {@code generation}'s
	 * {@code compacted/} directory; {@code null} if the name is not one
	 * ({@link ReplicaPaths#parseCompactedWalName}).
	 */
	public static CompactedWalInfo of(String generation, String name, long size, Instant createdAt) {
		long[] parsed = ReplicaPaths.parseCompactedWalName(name);
		return (parsed != null) ? new CompactedWalInfo(generation, parsed[0], parsed[1], parsed[2], parsed[3] == 1, size,
				createdAt) : null;
	}

	public Pos startPos() {
		return new Pos(this.generation, this.index, this.start);
	}

}
