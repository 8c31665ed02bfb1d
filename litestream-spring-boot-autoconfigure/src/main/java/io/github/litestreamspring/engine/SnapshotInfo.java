package io.github.litestreamspring.engine;

import java.time.Instant;

/**
 * A snapshot object in a replica: the compressed main database file at the start of a WAL index.
 *
 * @param generation the generation
 * @param index the WAL index the snapshot was taken at
 * @param size compressed size in bytes
 * @param createdAt when the object was written (S3 LastModified, file mtime)
 */
public record SnapshotInfo(String generation, long index, long size, Instant createdAt) {

	public Pos pos() {
		return new Pos(this.generation, this.index, 0);
	}

}
