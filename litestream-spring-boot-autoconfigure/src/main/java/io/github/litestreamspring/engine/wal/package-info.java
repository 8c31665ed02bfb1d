/**
 * Reading and validating SQLite write-ahead log files: header, frame headers, the running
 * checksum, and a frame iterator that stops exactly where Litestream v0.3 stops.
 */
package io.github.litestreamspring.engine.wal;
