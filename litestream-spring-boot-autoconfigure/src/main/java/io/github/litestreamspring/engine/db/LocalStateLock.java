package io.github.litestreamspring.engine.db;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.github.litestreamspring.engine.LitestreamException;

/**
 * The exclusive lock on a database's local state ({@code .<db>-litestream/lock}): two processes on one
 * volume, or two replicators in one JVM, must never copy one database's WAL into the same shadow WAL
 * (each would restart the WAL under the other, and both would ship into the same generation).
 * <p>
 * Between processes it is an OS file lock ({@link FileChannel#tryLock()}); the file holds the holder's
 * pid, host and start time for the message the loser gets. Inside one JVM such locks do not exclude
 * each other, and worse, closing any channel on the file may release the JVM's lock on it, so a static
 * set of held lock files (by real path) is checked first and no second channel is ever opened while
 * the lock is held here. Released by {@link #close()}; the OS releases it when the process dies.
 */
public final class LocalStateLock implements AutoCloseable {

	static final String FILE_NAME = "lock";

	/** Lock files held by this JVM, with their holder's description. */
	private static final Map<Path, String> HELD = new ConcurrentHashMap<>();

	private final Path file;

	private final FileChannel channel;

	private final FileLock lock;

	private LocalStateLock(Path file, FileChannel channel, FileLock lock) {
		this.file = file;
		this.channel = channel;
		this.lock = lock;
	}

	/**
	 * Takes the lock of the local state in {@code metaDir} (created if needed) for {@code database}.
	 * @throws LitestreamException naming the lock file and its holder when another replicator holds it
	 */
	static LocalStateLock acquire(Path metaDir, Path database) {
		Path file;
		try {
			Files.createDirectories(metaDir);
			file = metaDir.toRealPath().resolve(FILE_NAME);
		}
		catch (IOException ex) {
			throw new LitestreamException("cannot create " + metaDir + " for the local state of " + database + ": "
					+ ex.getMessage(), ex);
		}
		String holder = "pid " + ProcessHandle.current().pid() + " on host " + host() + " since " + Instant.now()
				+ " (" + Thread.currentThread().getName() + ")";
		String other = HELD.putIfAbsent(file, holder);
		if (other != null) {
			throw taken(database, file, other + ", in this JVM");
		}
		FileChannel channel = null;
		try {
			channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
					StandardOpenOption.WRITE);
			FileLock lock = channel.tryLock();
			if (lock == null) {
				String content = read(channel);
				throw taken(database, file, content.isBlank() ? "an unknown process" : content);
			}
			channel.truncate(0);
			channel.write(ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.UTF_8)), 0);
			return new LocalStateLock(file, channel, lock);
		}
		catch (IOException | RuntimeException ex) {
			closeQuietly(channel);
			HELD.remove(file);
			if (ex instanceof LitestreamException le) {
				throw le;
			}
			throw new LitestreamException("cannot lock " + file + " (local state of " + database + "): "
					+ ex.getMessage(), ex);
		}
	}

	/** The lock file. */
	public Path file() {
		return this.file;
	}

	@Override
	public void close() {
		try {
			this.lock.release();
		}
		catch (IOException ex) {
			// Closing the channel releases it too.
		}
		closeQuietly(this.channel);
		HELD.remove(this.file);
	}

	private static LitestreamException taken(Path database, Path file, String holder) {
		return new LitestreamException("cannot replicate " + database + ": its local state is locked by another "
				+ "replicator (" + file + " held by " + holder + "). Two processes or replicators must not replicate "
				+ "one database; stop the other one, or give each its own database file");
	}

	private static String read(FileChannel channel) throws IOException {
		ByteBuffer buffer = ByteBuffer.allocate(512);
		channel.read(buffer, 0);
		return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).trim();
	}

	private static String host() {
		String env = System.getenv("HOSTNAME");
		return (env != null && !env.isBlank()) ? env : ManagementFactory.getRuntimeMXBean().getName();
	}

	private static void closeQuietly(FileChannel channel) {
		if (channel != null) {
			try {
				channel.close();
			}
			catch (IOException ex) {
				// nothing left to release
			}
		}
	}

}
