package io.github.litestreamspring.engine.db;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.wal.WalHeader;

/**
 * The engine's files next to the database, in Litestream v0.3's layout so that an operator can switch
 * between this engine and the Litestream sidecar on the same database:
 * <pre>
 * .&lt;db&gt;-litestream/generation                         current generation ID + "\n"
 * .&lt;db&gt;-litestream/generations/&lt;gen&gt;/wal/&lt;index&gt;.wal   shadow WAL, one file per WAL index
 * </pre>
 * A shadow WAL file is a byte-exact copy of the SQLite {@code -wal} for one WAL "life" (header plus
 * committed frames), kept after SQLite has checkpointed and restarted the real WAL.
 */
public final class LocalState {

	private static final Pattern SHADOW_WAL = Pattern.compile("^([0-9a-f]{8})\\.wal$");

	private final Path metaDir;

	public LocalState(Path metaDir) {
		this.metaDir = metaDir;
	}

	/** Litestream's default: {@code <dir>/.<db file name>-litestream}. */
	public static Path defaultMetaDir(Path database) {
		Path abs = database.toAbsolutePath();
		return abs.resolveSibling("." + abs.getFileName() + "-litestream");
	}

	public Path metaDir() {
		return this.metaDir;
	}

	/** The current generation, or {@code null} if none is recorded (missing or malformed file). */
	public String generation() throws IOException {
		try {
			String text = Files.readString(this.metaDir.resolve("generation"), StandardCharsets.UTF_8).trim();
			return ReplicaPaths.isGenerationName(text) ? text : null;
		}
		catch (NoSuchFileException ex) {
			return null;
		}
	}

	/** Records the current generation atomically ({@code generation.tmp} + rename). */
	public void writeGeneration(String generation) throws IOException {
		Files.createDirectories(this.metaDir);
		FileSync.writeAtomically(this.metaDir.resolve("generation"), generation + "\n", StandardCharsets.UTF_8);
	}

	public void clearGeneration() throws IOException {
		Files.deleteIfExists(this.metaDir.resolve("generation"));
	}

	public Path shadowWalDir(String generation) {
		return this.metaDir.resolve("generations").resolve(generation).resolve("wal");
	}

	public Path shadowWal(String generation, long index) {
		return shadowWalDir(generation).resolve(ReplicaPaths.formatIndex(index) + ".wal");
	}

	/** Indexes of the shadow WAL files of a generation, ascending. */
	public List<Long> shadowWalIndexes(String generation) throws IOException {
		Path dir = shadowWalDir(generation);
		List<Long> indexes = new ArrayList<>();
		if (!Files.isDirectory(dir)) {
			return indexes;
		}
		try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
			for (Path file : files) {
				Matcher m = SHADOW_WAL.matcher(file.getFileName().toString());
				if (m.matches()) {
					indexes.add(Long.parseLong(m.group(1), 16));
				}
			}
		}
		indexes.sort(null);
		return indexes;
	}

	/** Highest shadow WAL index of a generation, or -1 if it has none. */
	public long maxShadowWalIndex(String generation) throws IOException {
		List<Long> indexes = shadowWalIndexes(generation);
		return indexes.isEmpty() ? -1 : indexes.get(indexes.size() - 1);
	}

	/** Deletes shadow WAL files of a generation with an index below {@code index}. */
	public void deleteShadowWalsBelow(String generation, long index) throws IOException {
		for (long i : shadowWalIndexes(generation)) {
			if (i < index) {
				Files.deleteIfExists(shadowWal(generation, i));
			}
		}
	}

	/** Deletes every local generation except {@code keep} (which may be {@code null}). */
	public void deleteOtherGenerations(String keep) throws IOException {
		Path dir = this.metaDir.resolve("generations");
		if (!Files.isDirectory(dir)) {
			return;
		}
		try (DirectoryStream<Path> gens = Files.newDirectoryStream(dir)) {
			for (Path gen : gens) {
				if (!gen.getFileName().toString().equals(keep)) {
					deleteTree(gen);
				}
			}
		}
	}

	/**
	 * A random id of this local state directory, created on first use ({@code state-id}): a lease names
	 * it, so that a restarted process can tell that the lease's holder was a previous process on this
	 * very directory (see {@link #isUnlocked}).
	 */
	public String stateId() throws IOException {
		Path file = this.metaDir.resolve("state-id");
		try {
			String id = Files.readString(file, StandardCharsets.UTF_8).trim();
			if (id.matches("[0-9a-f]{16}")) {
				return id;
			}
		}
		catch (java.nio.file.NoSuchFileException ex) {
			// first use
		}
		Files.createDirectories(this.metaDir);
		String id = java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 16);
		FileSync.writeAtomically(file, id + "\n", StandardCharsets.UTF_8);
		return id;
	}

	/**
	 * Whether no process (this one included) holds the lock on this local state now: every process
	 * that replicates the database holds it while it runs, and the OS releases it when a process dies.
	 */
	public boolean isUnlocked(Path database) {
		try (LocalStateLock lock = LocalStateLock.acquire(this.metaDir, database)) {
			return true;
		}
		catch (RuntimeException ex) {
			return false;
		}
	}

	/**
	 * Takes the exclusive lock on this local state for {@code database}: held while it is replicated,
	 * so that no second process or replicator copies its WAL meanwhile.
	 * @throws io.github.litestreamspring.engine.LitestreamException naming the holder if another has it
	 */
	public LocalStateLock lock(Path database) {
		return LocalStateLock.acquire(this.metaDir, database);
	}

	/**
	 * Makes the next {@link Database#open()} of {@code database} continue generation
	 * {@code position.generation()} with WAL index {@code position.index() + 1}, as after a clean stop at
	 * {@code position}: for a database file that holds exactly the state at {@code position} (restored and
	 * caught up from a replica that ends there), whose WAL of {@code position.index()} is {@code indexWal}
	 * (header and frames as SQLite wrote them, {@code position.offset()} bytes). Replaces the whole local
	 * state: every generation, the generation file, any clean-stop record. Steps in crash-safe order: the
	 * old state goes first, the clean-stop record last, so a crash in between leaves no proof and the next
	 * open starts a new generation. The database must be closed; takes the local state's lock meanwhile.
	 * @throws IOException if the files cannot be written
	 * @throws IllegalArgumentException if {@code indexWal} is not a WAL of {@code position.offset()} bytes
	 */
	public void seedCleanStop(Path database, Pos position, Path indexWal) throws IOException {
		long size = Files.size(indexWal);
		byte[] header = ShadowWal.readPrefix(indexWal, WalHeader.SIZE);
		if (position.isNone() || size != position.offset() || header.length < WalHeader.SIZE
				|| !WalHeader.parse(header, 0).isChecksumValid()) {
			throw new IllegalArgumentException("cannot seed a clean stop at " + position + " from " + indexWal + " ("
					+ size + " bytes): it must be that index's WAL, header and frames, of exactly "
					+ position.offset() + " bytes");
		}
		try (LocalStateLock lock = lock(database)) {
			CleanStop.delete(this.metaDir);
			clearGeneration();
			deleteOtherGenerations(null);
			deleteTempFiles();
			Path shadow = shadowWal(position.generation(), position.index());
			Files.createDirectories(shadow.getParent());
			Path tmp = shadow.resolveSibling(shadow.getFileName() + ".tmp");
			Files.copy(indexWal, tmp, StandardCopyOption.REPLACE_EXISTING);
			FileSync.fsync(tmp);
			Files.move(tmp, shadow, StandardCopyOption.ATOMIC_MOVE);
			FileSync.fsyncDirectory(shadow.getParent());
			writeGeneration(position.generation());
			new CleanStop(position, CleanStop.FileIdentity.of(database)).write(this.metaDir);
		}
	}

	/** Removes leftovers of interrupted writes ({@code *.tmp}), as Litestream does at start-up. */
	public void deleteTempFiles() throws IOException {
		if (!Files.isDirectory(this.metaDir)) {
			return;
		}
		try (Stream<Path> files = Files.walk(this.metaDir)) {
			for (Path file : (Iterable<Path>) files::iterator) {
				if (file.getFileName().toString().endsWith(".tmp") && Files.isRegularFile(file)) {
					Files.deleteIfExists(file);
				}
			}
		}
	}

	/** Total bytes of shadow WAL files in a generation. */
	public long shadowWalBytes(String generation) throws IOException {
		long total = 0;
		for (long i : shadowWalIndexes(generation)) {
			try {
				total += Files.size(shadowWal(generation, i));
			}
			catch (NoSuchFileException ex) {
				// pruned concurrently
			}
		}
		return total;
	}

	static void deleteTree(Path root) throws IOException {
		if (!Files.exists(root)) {
			return;
		}
		Files.walkFileTree(root, new SimpleFileVisitor<>() {
			@Override
			public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
				Files.deleteIfExists(file);
				return FileVisitResult.CONTINUE;
			}

			@Override
			public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
				Files.deleteIfExists(dir);
				return FileVisitResult.CONTINUE;
			}
		});
	}

}
