package io.github.litestreamspring.benchmarks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Follows the {@code -wal} file from the writer's side: after each commit, which WAL (salt pair from
 * the header) holds it and where its last commit frame ends. That pair is what a replica object
 * must cover for the commit to be durable, and it is the same for every replicator because both
 * Litestream and our engine ship WAL bytes at the offsets SQLite wrote them.
 * <p>
 * The file size is no answer: after a WAL restart SQLite overwrites the file from the start without
 * shrinking it. So frames are scanned forward from the last known end, and a frame belongs to the
 * current WAL only while its salts match the header's (a restart changes salt-1).
 */
final class WalEndTracker {

	private static final int WAL_HEADER = 32;

	private static final int FRAME_HEADER = 24;

	private final Path wal;

	private final ByteBuffer header = ByteBuffer.allocate(WAL_HEADER);

	private final ByteBuffer frameHeader = ByteBuffer.allocate(FRAME_HEADER);

	private int salt1;

	private int salt2;

	private long end = WAL_HEADER;

	WalEndTracker(Path wal) {
		this.wal = wal;
	}

	/** Re-reads the header and any new frames; call right after a commit returned. */
	void update() throws IOException {
		try (FileChannel ch = FileChannel.open(this.wal, StandardOpenOption.READ)) {
			this.header.clear();
			if (ch.read(this.header, 0) < WAL_HEADER) {
				return;
			}
			int pageSize = this.header.getInt(8);
			pageSize = (pageSize == 1) ? 65536 : pageSize;
			int s1 = this.header.getInt(16);
			int s2 = this.header.getInt(20);
			if (s1 != this.salt1 || s2 != this.salt2) {
				this.salt1 = s1;
				this.salt2 = s2;
				this.end = WAL_HEADER;
			}
			long size = ch.size();
			long pos = this.end;
			long frame = FRAME_HEADER + pageSize;
			// Bounded by the file size: every step advances by one frame.
			while (pos + frame <= size) {
				this.frameHeader.clear();
				ch.read(this.frameHeader, pos);
				if (this.frameHeader.getInt(8) != s1 || this.frameHeader.getInt(12) != s2) {
					break;
				}
				pos += frame;
				if (this.frameHeader.getInt(4) != 0) {
					this.end = pos; // a commit frame: the database size after commit is set
				}
			}
		}
	}

	/** Both salts as one value, as they appear in bytes 16..23 of the WAL header. */
	long salt() {
		return ((long) this.salt1 << 32) | (this.salt2 & 0xFFFFFFFFL);
	}

	long end() {
		return this.end;
	}

}
