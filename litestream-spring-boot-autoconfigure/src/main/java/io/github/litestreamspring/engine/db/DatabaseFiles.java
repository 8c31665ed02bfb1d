package io.github.litestreamspring.engine.db;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads main database files without breaking SQLite's locks.
 * <p>
 * SQLite locks the database file with POSIX advisory locks, which belong to the process, not to a
 * file descriptor: closing <em>any</em> descriptor of the file in this JVM silently drops every lock
 * SQLite holds on it, for the engine's connections and the application's alike (SQLite's "How to
 * corrupt" §2.2). Another process may then take the EXCLUSIVE lock, believe it is the last
 * connection, checkpoint and delete the {@code -wal} under our feet. SQLite itself never closes a
 * descriptor of a locked file; likewise the descriptors opened here are kept for the life of the
 * process (one per database file, reopened only when the file is replaced) and only read with
 * positional reads.
 */
final class DatabaseFiles {

	private static final Map<Path, Handle> HANDLES = new ConcurrentHashMap<>();

	private DatabaseFiles() {
	}

	/** A stream of the whole file from its start; closing it leaves the descriptor open. */
	static InputStream newInputStream(Path path) throws IOException {
		FileChannel channel = channel(path.toAbsolutePath().normalize());
		return new InputStream() {

			private long position;

			@Override
			public int read() throws IOException {
				byte[] one = new byte[1];
				int n = read(one, 0, 1);
				return (n < 0) ? -1 : (one[0] & 0xff);
			}

			@Override
			public int read(byte[] b, int off, int len) throws IOException {
				Objects.checkFromIndexSize(off, len, b.length);
				if (len == 0) {
					return 0;
				}
				int n = channel.read(ByteBuffer.wrap(b, off, len), this.position);
				if (n > 0) {
					this.position += n;
				}
				return n;
			}

		};
	}

	/**
	 * Copies the file to {@code target} (replaced) if the target's file system keeps at least as much
	 * free space again afterwards; returns whether it copied.
	 */
	static boolean copyIfRoom(Path path, Path target) throws IOException {
		FileChannel channel = channel(path.toAbsolutePath().normalize());
		long size = channel.size();
		Files.createDirectories(target.getParent());
		if (Files.getFileStore(target.getParent()).getUsableSpace() < 2 * size + 64L * 1024 * 1024) {
			return false;
		}
		try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
				StandardOpenOption.TRUNCATE_EXISTING)) {
			long copied = 0;
			while (copied < size) {
				long n = channel.transferTo(copied, size - copied, out);
				if (n <= 0) {
					break;
				}
				copied += n;
			}
		}
		catch (IOException ex) {
			Files.deleteIfExists(target);
			throw ex;
		}
		return true;
	}

	private static synchronized FileChannel channel(Path path) throws IOException {
		Object key = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
		Handle handle = HANDLES.get(path);
		if (handle == null || (key != null && !key.equals(handle.fileKey()))) {
			// A replaced file (e.g. restored over) gets a new descriptor; the old one is deliberately not
			// closed, since a connection of this process may still hold locks on that inode.
			handle = new Handle(FileChannel.open(path, StandardOpenOption.READ), key);
			HANDLES.put(path, handle);
		}
		return handle.channel();
	}

	private record Handle(FileChannel channel, Object fileKey) {
	}

}
