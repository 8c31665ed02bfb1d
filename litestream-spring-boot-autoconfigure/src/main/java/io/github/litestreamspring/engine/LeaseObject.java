package io.github.litestreamspring.engine;

/**
 * The single-writer lease object of a replica path as stored: its bytes and the version tag that a
 * conditional replace must name (the S3 ETag, or a content hash for a file replica).
 *
 * @param content the object's bytes (a small JSON document written by the engine)
 * @param etag the store's version tag of exactly these bytes
 */
public record LeaseObject(byte[] content, String etag) {

}
