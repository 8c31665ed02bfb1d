package io.github.litestreamspring.engine.restore;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.WalSegmentInfo;
import io.github.litestreamspring.engine.wal.WalHeader;
import io.github.litestreamspring.engine.wal.WalReader;

/**
 * Proves an assembled WAL index is whole before SQLite applies it. SQLite's own recovery silently
 * stops at the first bad frame and drops the rest of the index, which would restore a database that
 * skipped transactions; this check turns that into an error naming the segment that holds the frame.
 * An unfinished transaction at the very end (a segment cut mid-transaction) is legal and logged.
 */
final class WalIndexCheck {

	private static final Logger logger = LoggerFactory.getLogger(Restorer.class);

	private final Path file;

	private final String generation;

	private final long index;

	private final List<WalSegmentInfo> segments;

	private final String replica;

	WalIndexCheck(Path file, String generation, long index, List<WalSegmentInfo> segments, String replica) {
		this.file = file;
		this.generation = generation;
		this.index = index;
		this.segments = segments;
		this.replica = replica;
	}

	/** @return the end of the index's last whole transaction (its size unless it ends mid-transaction) */
	long check() throws IOException {
		try (FileChannel ch = FileChannel.open(this.file, StandardOpenOption.READ)) {
			long size = ch.size();
			byte[] headerBytes = new byte[WalHeader.SIZE];
			java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(headerBytes);
			while (buf.hasRemaining() && ch.read(buf, buf.position()) >= 0) {
				// read the header
			}
			if (buf.hasRemaining()) {
				throw fail(0, "is shorter than a WAL header");
			}
			WalHeader header;
			try {
				header = WalHeader.parse(headerBytes, 0);
			}
			catch (IOException ex) {
				throw fail(0, "does not start with a WAL header (" + ex.getMessage() + ")");
			}
			if (!header.isChecksumValid()) {
				throw fail(0, "has a WAL header with an invalid checksum");
			}
			if ((size - WalHeader.SIZE) % header.frameSize() != 0) {
				throw fail(size, "ends inside a frame (" + size + " bytes)");
			}
			WalReader.Result result = WalReader.scanCommitted(ch, header, WalHeader.SIZE, header.checksum());
			long validEnd = WalHeader.SIZE + result.validFrameCount() * header.frameSize();
			if (validEnd != size) {
				throw fail(validEnd, "has an invalid frame at offset " + validEnd
						+ " (checksum or salt mismatch: the object is corrupt or from another WAL)");
			}
			if (result.lastCommitEndOffset() != size) {
				logger.warn("WAL index {} of generation {} ends with an unfinished transaction ({} bytes), "
						+ "which SQLite ignores", ReplicaPaths.formatIndex(this.index), this.generation,
						size - result.lastCommitEndOffset());
			}
			return Math.max(WalHeader.SIZE, result.lastCommitEndOffset());
		}
	}

	private LitestreamException fail(long offset, String problem) {
		WalSegmentInfo culprit = this.segments.get(0);
		for (WalSegmentInfo s : this.segments) {
			if (s.offset() <= offset) {
				culprit = s;
			}
		}
		return new LitestreamException("WAL index " + ReplicaPaths.formatIndex(this.index) + " of generation "
				+ this.generation + " " + problem + "; see object "
				+ ReplicaPaths.walSegmentPath("", this.generation, culprit.index(), culprit.offset()) + " in "
				+ this.replica);
	}

}
