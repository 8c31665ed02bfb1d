package io.github.litestreamspring.engine.restore;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.LitestreamException;
import io.github.litestreamspring.engine.ReplicaPaths;

/**
 * The files of one restore beside its output {@code <out>}, and the rules for them:
 * <ul>
 * <li>every temporary file is named {@code <out>.tmp}, {@code <out>.tmp-wal}, {@code <out>.tmp-shm},
 * {@code <out>.tmp-journal}, {@code <out>.tmp-<index>-wal} (a WAL index being assembled) or
 * {@code <out>.tmp-<index>-<offset>-segment} (a large decoded segment) or {@code <out>.tmp-seed-wal} (the
 * WAL a {@link Continuation} seeds the shadow WAL with), so that
 * {@link #deleteTemporaryFiles()} finds them all by name — whatever path the restore left by (failure,
 * interrupt, a download that finished after the restore gave up) — and nothing else;</li>
 * <li>SQLite's own files of the output ({@code <out>-wal}, {@code <out>-shm}, {@code <out>-journal}) belong
 * to whatever database was there before: SQLite would replay a leftover WAL or journal onto the restored
 * file the first time it is opened. {@link #removeStaleSqliteFiles()} removes them before the restored
 * file takes the output's name.</li>
 * </ul>
 */
final class RestoreFiles {

	private static final Logger logger = LoggerFactory.getLogger(Restorer.class);

	private static final List<String> SQLITE_SUFFIXES = List.of("-wal", "-shm", "-journal");

	private final Path output;

	private final Path tmp;

	private final Pattern temporary;

	RestoreFiles(Path output) {
		this.output = output;
		String name = output.getFileName().toString();
		this.tmp = output.resolveSibling(name + ".tmp");
		this.temporary = Pattern.compile(Pattern.quote(name + ".tmp")
				+ "(-wal|-shm|-journal|-seed-wal|-[0-9a-f]{8,16}-wal|-[0-9a-f]{8,16}-[0-9a-f]{8,16}-segment)?");
	}

	/** The database under construction. */
	Path tmp() {
		return this.tmp;
	}

	/** Where SQLite expects the WAL of {@link #tmp()}: each assembled index is moved here to be applied. */
	Path tmpWal() {
		return sibling(this.tmp, "-wal");
	}

	/** The WAL of one index while its segments are appended. */
	Path indexWal(long index) {
		return sibling(this.tmp, "-" + ReplicaPaths.formatIndex(index) + "-wal");
	}

	/** The last index's WAL kept for a continued generation's shadow WAL ({@link Continuation}). */
	Path seedWal() {
		return sibling(this.tmp, "-seed-wal");
	}

	/** A segment decoded to disk because it is too large for memory. */
	Path segment(long index, long offset) {
		return sibling(this.tmp,
				"-" + ReplicaPaths.formatIndex(index) + "-" + ReplicaPaths.formatIndex(offset) + "-segment");
	}

	/**
	 * Deletes every temporary file of a restore to this output (this one's, or those a crashed earlier
	 * one left), and nothing else.
	 */
	void deleteTemporaryFiles() throws IOException {
		List<Path> found = new ArrayList<>();
		try (DirectoryStream<Path> files = Files.newDirectoryStream(this.output.getParent())) {
			for (Path file : files) {
				if (this.temporary.matcher(file.getFileName().toString()).matches()) {
					found.add(file);
				}
			}
		}
		catch (NoSuchFileException ex) {
			return;
		}
		for (Path file : found) {
			Files.deleteIfExists(file);
		}
	}

	/** {@link #deleteTemporaryFiles()} on an exit path that already reports another failure. */
	void deleteTemporaryFilesQuietly() {
		try {
			deleteTemporaryFiles();
		}
		catch (IOException ex) {
			logger.warn("{}: cannot delete the temporary files of the restore ({}.*): {}", this.output, this.tmp,
					ex.getMessage());
		}
	}

	/**
	 * Checks that {@link #tmp()} holds every page: its {@code -wal} is gone or empty once each index was
	 * applied by a truncating checkpoint and the last connection closed. Then removes the
	 * {@code -wal}/{@code -shm} so that they never outlive the restore.
	 */
	void finishTmp() throws IOException {
		Path wal = tmpWal();
		if (Files.exists(wal) && Files.size(wal) > 0) {
			throw new LitestreamException(wal + " still holds " + Files.size(wal)
					+ " bytes of WAL after the last checkpoint: the restored database would lack them");
		}
		Files.deleteIfExists(wal);
		Files.deleteIfExists(sibling(this.tmp, "-shm"));
	}

	/**
	 * Removes {@code <out>-wal}, {@code <out>-shm} and {@code <out>-journal}: left by the database the
	 * operator deleted (or by the file being replaced), SQLite would replay them onto the restored
	 * database — rows that were never in the backup, and {@code integrity_check} still says ok. Called
	 * before the rename, so a crash between the two steps leaves no output and no stale WAL, never the
	 * restored database next to the old WAL.
	 */
	void removeStaleSqliteFiles() throws IOException {
		for (String suffix : SQLITE_SUFFIXES) {
			Path stale = sibling(this.output, suffix);
			if (Files.exists(stale)) {
				long size = Files.size(stale);
				logger.warn("{}: removing {} ({} bytes) before the restored database takes its place: it belongs to "
						+ "the database that was there before, and SQLite would replay it onto the restored one",
						this.output, stale, size);
				Files.delete(stale);
			}
		}
	}

	private static Path sibling(Path file, String suffix) {
		return file.resolveSibling(file.getFileName() + suffix);
	}

}
