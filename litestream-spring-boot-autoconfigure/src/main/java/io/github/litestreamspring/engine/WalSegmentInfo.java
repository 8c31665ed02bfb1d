package io.github.litestreamspring.engine;

import java.time.Instant;

/**
 * A WAL segment object in a replica: a compressed, frame-aligned byte range of one WAL index.
 *
 * @param generation the generation
 * @param index the WAL index
 * @param offset offset of the segment's first byte inside the (uncompressed) WAL of that index
 * @param size compressed size in bytes
 * @param createdAt when the object was written (S3 LastModified, file mtime)
 */
public record WalSegmentInfo(String generation, long index, long offset, long size, Instant createdAt) {

	public Pos pos() {
		return new Pos(this.generation, this.index, this.offset);
	}

}
