/**
 * LZ4 frames exactly as Litestream v0.3 writes and reads them: one frame per object, 4 MiB
 * independent blocks, content checksum.
 */
package io.github.litestreamspring.engine.lz4;
