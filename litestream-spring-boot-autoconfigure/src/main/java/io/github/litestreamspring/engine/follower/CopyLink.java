package io.github.litestreamspring.engine.follower;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.db.FileSync;

/**
 * The application's database path as a symbolic link to the copy a follower serves. SQLite resolves the
 * link when a connection opens (its {@code -wal} and {@code -shm} are named after the copy), so replacing
 * the link atomically ({@code <db>.follower-link} created, then renamed over the path) makes every new
 * connection open the new copy while those opened before keep reading their own.
 */
final class CopyLink {

	private static final Logger logger = LoggerFactory.getLogger(Follower.class);

	private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

	private final Path path;

	CopyLink(Path path) {
		this.path = path;
	}

	/** The copy the path links to, or {@code null} if it is no link. */
	Path target() throws IOException {
		if (!Files.isSymbolicLink(this.path)) {
			return null;
		}
		Path target = Files.readSymbolicLink(this.path);
		return this.path.resolveSibling(target).normalize();
	}

	/**
	 * A regular file at the path (the database of a former primary, say) is renamed aside to
	 * {@code <db>.before-follower-<time>}, with its {@code -wal}/{@code -shm}/{@code -journal}: never
	 * deleted.
	 */
	void moveAsideRegularFile() throws IOException {
		if (!Files.exists(this.path, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(this.path)) {
			return;
		}
		String aside = this.path.getFileName() + ".before-follower-" + STAMP.format(Instant.now());
		for (String suffix : new String[] { "-wal", "-shm", "-journal" }) {
			Path sqlite = this.path.resolveSibling(this.path.getFileName() + suffix);
			if (Files.exists(sqlite)) {
				Files.move(sqlite, this.path.resolveSibling(aside + suffix));
			}
		}
		Files.move(this.path, this.path.resolveSibling(aside));
		FileSync.fsyncDirectory(this.path.getParent());
		logger.warn("{}: the database path held a regular file; renamed it to {} (a follower serves a copy of the "
				+ "replica there instead). Remove it once it is no longer needed", this.path, aside);
	}

	/** Makes the path link to {@code copy}, atomically and durably. */
	void pointTo(Path copy) throws IOException {
		Path tmp = this.path.resolveSibling(this.path.getFileName() + ".follower-link");
		Files.deleteIfExists(tmp);
		Files.createSymbolicLink(tmp, copy);
		Files.move(tmp, this.path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		FileSync.fsyncDirectory(this.path.getParent());
	}

	/** Replaces the link by the file {@code copy} itself (a promotion): the database is a regular file again. */
	void replaceWith(Path copy) throws IOException {
		Files.move(copy, this.path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		FileSync.fsyncDirectory(this.path.getParent());
		FileSync.fsyncDirectory(copy.getParent());
	}

}
