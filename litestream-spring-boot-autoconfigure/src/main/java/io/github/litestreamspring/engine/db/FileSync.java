package io.github.litestreamspring.engine.db;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * fsync for files and directories: a rename is only durable once the directory is synced.
 */
public final class FileSync {

	private FileSync() {
	}

	public static void fsync(Path file) throws IOException {
		try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
			ch.force(true);
		}
	}

	/**
	 * Replaces {@code file} with {@code text} durably and atomically: written to {@code <file>.tmp},
	 * fsynced, renamed over the file, the directory fsynced. A crash leaves the old content or the new.
	 */
	public static void writeAtomically(Path file, String text, Charset charset) throws IOException {
		Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
		Files.writeString(tmp, text, charset);
		fsync(tmp);
		Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		fsyncDirectory(file.getParent());
	}

	/** Best effort: some platforms cannot open a directory for syncing. */
	public static void fsyncDirectory(Path dir) {
		try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
			ch.force(true);
		}
		catch (IOException ex) {
			// not supported here (e.g. Windows); the rename is still atomic
		}
	}

}
