package io.github.litestreamspring.engine.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.Properties;
import java.util.zip.CRC32C;

import io.github.litestreamspring.engine.Pos;

/**
 * The proof that a database file holds exactly the state at a shadow WAL position, written when the
 * engine's connection was the last to close the database (SQLite then checkpoints every frame into the
 * file and deletes the {@code -wal}).
 * <p>
 * Without it the next start could not prove continuity: the WAL whose header ties the shadow WAL to the
 * database is gone, so Litestream (and this engine before) starts a new generation and uploads a full
 * snapshot on every clean restart. With it, the next start continues the generation at the next WAL
 * index, provided the file is still the one that was closed: same size, modification time, file key
 * (inode) and first page. Anything that wrote to the file meanwhile (another process, an operator's
 * copy, a checkpoint of a later WAL) changes at least the modification time, and the proof fails.
 * <p>
 * Stored as {@code clean-stop} in the metadata directory (Litestream ignores the file). It is consumed
 * when a generation continues from it and removed whenever the engine opens the database, so it can
 * never vouch for a later state.
 */
public record CleanStop(Pos position, FileIdentity database) {

	static final String FILE_NAME = "clean-stop";

	public CleanStop {
		Objects.requireNonNull(position);
		Objects.requireNonNull(database);
	}

	/** Writes the record atomically ({@code .tmp}, fsync, rename, fsync of the directory). */
	void write(Path metaDir) throws IOException {
		Properties p = new Properties();
		p.setProperty("generation", this.position.generation());
		p.setProperty("index", Long.toString(this.position.index()));
		p.setProperty("offset", Long.toString(this.position.offset()));
		p.setProperty("db.size", Long.toString(this.database.size()));
		p.setProperty("db.modified-nanos", Long.toString(this.database.modifiedNanos()));
		p.setProperty("db.file-key", this.database.fileKey());
		p.setProperty("db.first-page-crc32c", Long.toString(this.database.firstPageCrc()));
		StringWriter text = new StringWriter();
		p.store(text, "written by litestream-spring-boot-starter at a clean stop; do not edit");
		FileSync.writeAtomically(metaDir.resolve(FILE_NAME), text.toString(), StandardCharsets.ISO_8859_1);
	}

	/** The record in {@code metaDir}, or {@code null} if there is none or it cannot be read. */
	static CleanStop read(Path metaDir) throws IOException {
		String text;
		try {
			text = Files.readString(metaDir.resolve(FILE_NAME), StandardCharsets.ISO_8859_1);
		}
		catch (NoSuchFileException ex) {
			return null;
		}
		Properties p = new Properties();
		p.load(new StringReader(text));
		try {
			Pos pos = new Pos(p.getProperty("generation"), Long.parseLong(p.getProperty("index")),
					Long.parseLong(p.getProperty("offset")));
			FileIdentity identity = new FileIdentity(Long.parseLong(p.getProperty("db.size")),
					Long.parseLong(p.getProperty("db.modified-nanos")), p.getProperty("db.file-key", ""),
					Long.parseLong(p.getProperty("db.first-page-crc32c")));
			return new CleanStop(pos, identity);
		}
		catch (RuntimeException ex) {
			return null; // truncated or edited: proves nothing
		}
	}

	/**
	 * Why this record does not prove that {@code database} holds exactly the state at {@code shadowEnd}
	 * (the end of the local shadow WAL); {@code null} if it does.
	 */
	String whyNotAt(Pos shadowEnd, Path database) throws IOException {
		if (!this.position.equals(shadowEnd)) {
			return "the clean-stop record (" + this.position + ") does not match the shadow WAL's end " + shadowEnd;
		}
		if (!Files.exists(database) || !FileIdentity.of(database).equals(this.database)) {
			return "the database file changed after the clean stop at " + this.position;
		}
		return null;
	}

	static void delete(Path metaDir) throws IOException {
		if (Files.deleteIfExists(metaDir.resolve(FILE_NAME))) {
			FileSync.fsyncDirectory(metaDir);
		}
	}

	/**
	 * What identifies one version of a file without reading all of it: size, modification time (to the
	 * nanosecond where the file system keeps it), file key (device and inode on Unix; empty where the
	 * platform has none) and a CRC-32C of the first page (SQLite's header: page size, page count,
	 * schema cookie).
	 */
	public record FileIdentity(long size, long modifiedNanos, String fileKey, long firstPageCrc) {

		private static final int FIRST_PAGE = 4096;

		public static FileIdentity of(Path file) throws IOException {
			BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
			CRC32C crc = new CRC32C();
			try (InputStream in = Files.newInputStream(file)) {
				crc.update(in.readNBytes(FIRST_PAGE));
			}
			Object key = attrs.fileKey();
			return new FileIdentity(attrs.size(), attrs.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS),
					(key != null) ? key.toString() : "", crc.getValue());
		}

	}

}
