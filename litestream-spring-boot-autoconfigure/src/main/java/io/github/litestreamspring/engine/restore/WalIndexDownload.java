package io.github.litestreamspring.engine.restore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.replica.ReplicaClient;
import io.github.litestreamspring.engine.replica.ReplicaPaths;
import io.github.litestreamspring.engine.replica.WalSegmentInfo;

/**
 * Downloads the segments of one WAL index into {@code <out>.tmp-<index>-wal}, checking that each
 * segment starts exactly where the previous one ended, then checks the assembled WAL frame by frame
 * ({@link WalIndexCheck}). Any gap or damage fails with the name of the object responsible.
 */
final class WalIndexDownload {

	private final ReplicaClient client;

	private final String generation;

	private final long index;

	private final List<WalSegmentInfo> segments;

	private final Path tmp;

	private final RestoreProgress progress;

	WalIndexDownload(ReplicaClient client, String generation, long index, List<WalSegmentInfo> segments, Path tmp,
			RestoreProgress progress) {
		this.client = client;
		this.generation = generation;
		this.index = index;
		this.segments = segments;
		this.tmp = tmp;
		this.progress = progress;
	}

	Path download() throws IOException {
		Path file = file(this.tmp, this.index);
		long written = 0;
		try (OutputStream out = Files.newOutputStream(file)) {
			for (WalSegmentInfo segment : this.segments) {
				String name = objectName(segment);
				if (segment.offset() != written) {
					throw new LitestreamException("missing WAL segment before " + name + " in " + this.client.describe()
							+ ": index " + ReplicaPaths.formatIndex(this.index) + " has " + written
							+ " bytes but the next segment starts at offset " + segment.offset());
				}
				try (InputStream in = Lz4Decoding.open(this.client.openWalSegment(segment.pos()), this.progress, name)) {
					written += in.transferTo(out);
				}
				catch (IOException ex) {
					throw new IOException("cannot read WAL segment " + name + " from " + this.client.describe() + ": "
							+ ex.getMessage(), ex);
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			Files.deleteIfExists(file);
			throw ex;
		}
		new WalIndexCheck(file, this.generation, this.index, this.segments, this.client.describe()).check();
		return file;
	}

	/** Where the WAL of {@code index} is assembled for the database under construction {@code tmp}. */
	static Path file(Path tmp, long index) {
		return tmp.resolveSibling(tmp.getFileName() + "-" + ReplicaPaths.formatIndex(index) + "-wal");
	}

	private String objectName(WalSegmentInfo segment) {
		return ReplicaPaths.walSegmentPath("", this.generation, segment.index(), segment.offset());
	}

}
