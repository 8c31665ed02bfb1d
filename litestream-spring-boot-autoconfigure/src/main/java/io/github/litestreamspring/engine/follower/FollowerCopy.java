package io.github.litestreamspring.engine.follower;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Optional;

import io.github.litestreamspring.engine.db.FileSync;
import io.github.litestreamspring.engine.Pos;

/**
 * One of a follower's two copies of the database ({@code copy-a.db}, {@code copy-b.db}) and the small
 * file beside it that says which state it holds ({@code copy-a.position}: generation, WAL index, offset,
 * and the time of the newest replica object applied). The position file is removed before anything
 * changes the copy and written, atomically, only once the change is complete and fsynced: a copy without
 * one holds an unknown state and is restored from scratch before it is used.
 */
final class FollowerCopy {

	private final Path file;

	private final Path positionFile;

	FollowerCopy(Path dir, String name) {
		this.file = dir.resolve("copy-" + name + ".db");
		this.positionFile = dir.resolve("copy-" + name + ".position");
	}

	Path file() {
		return this.file;
	}

	/** The state the copy holds, or empty if it is unknown (never brought forward, or interrupted). */
	Optional<Held> held() {
		try {
			if (!Files.exists(this.positionFile) || !Files.exists(this.file)) {
				return Optional.empty();
			}
			String[] parts = Files.readString(this.positionFile, StandardCharsets.US_ASCII).trim().split(" ");
			if (parts.length != 4) {
				return Optional.empty();
			}
			return Optional.of(new Held(new Pos(parts[0], Long.parseLong(parts[1], 16), Long.parseLong(parts[2], 16)),
					Instant.ofEpochMilli(Long.parseLong(parts[3]))));
		}
		catch (IOException | RuntimeException ex) {
			return Optional.empty();
		}
	}

	void record(Held held) throws IOException {
		Pos p = held.position();
		FileSync.writeAtomically(this.positionFile, p.generation() + " " + Long.toHexString(p.index()) + " "
				+ Long.toHexString(p.offset()) + " " + held.newestObject().toEpochMilli() + "\n", StandardCharsets.US_ASCII);
	}

	/** Forgets the state, durably, before the copy is changed. */
	void forget() throws IOException {
		if (Files.deleteIfExists(this.positionFile)) {
			FileSync.fsyncDirectory(this.positionFile.getParent());
		}
	}

	/**
	 * Takes the state of {@code other} by a local file copy (nothing may have either open: at the start),
	 * so that this copy's first apply is a catch-up instead of a second restore from the replica.
	 */
	void copyFrom(FollowerCopy other, Held held) throws IOException {
		forget();
		Files.copy(other.file, this.file, StandardCopyOption.REPLACE_EXISTING);
		Files.deleteIfExists(this.file.resolveSibling(this.file.getFileName() + "-wal"));
		Files.deleteIfExists(this.file.resolveSibling(this.file.getFileName() + "-shm"));
		FileSync.fsync(this.file);
		record(held);
	}

	/** Removes the copy and its position file (after a promotion moved the other one away). */
	void delete() throws IOException {
		forget();
		Files.deleteIfExists(this.file);
		Files.deleteIfExists(this.file.resolveSibling(this.file.getFileName() + "-wal"));
		Files.deleteIfExists(this.file.resolveSibling(this.file.getFileName() + "-shm"));
	}

	@Override
	public String toString() {
		return this.file.getFileName().toString();
	}

	/**
	 * A state a copy holds.
	 *
	 * @param position the exact replica position: generation, last WAL index applied, end of its last
	 * whole transaction
	 * @param newestObject when the newest replica object applied to the copy was written (its timestamp in
	 * the replica)
	 */
	record Held(Pos position, Instant newestObject) {

	}

}
