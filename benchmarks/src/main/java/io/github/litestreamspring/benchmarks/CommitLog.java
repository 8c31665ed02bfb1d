package io.github.litestreamspring.benchmarks;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The writer's record of measured commits: when each returned, and which WAL bytes it ended at. */
final class CommitLog implements AutoCloseable {

	/** One commit: wall-clock time in epoch nanoseconds, WAL salt pair, WAL end offset. */
	record Commit(long epochNanos, long salt, long end) {
	}

	private final DataOutputStream out;

	CommitLog(Path file) throws IOException {
		this.out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
	}

	void add(long epochNanos, long salt, long end) throws IOException {
		this.out.writeLong(epochNanos);
		this.out.writeLong(salt);
		this.out.writeLong(end);
	}

	@Override
	public void close() throws IOException {
		this.out.close();
	}

	static List<Commit> read(Path file) throws IOException {
		List<Commit> commits = new ArrayList<>();
		try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
			while (true) {
				try {
					commits.add(new Commit(in.readLong(), in.readLong(), in.readLong()));
				}
				catch (EOFException ex) {
					return commits;
				}
			}
		}
	}

}
