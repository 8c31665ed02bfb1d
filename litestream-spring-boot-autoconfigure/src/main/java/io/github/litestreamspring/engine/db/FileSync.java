package io.github.litestreamspring.engine.db;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
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
