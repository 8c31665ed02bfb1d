package io.github.litestreamspring.engine.replica.file;

import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import io.github.litestreamspring.engine.CompactedWalInfo;
import io.github.litestreamspring.engine.LeaseObject;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.ReplicaClient;
import io.github.litestreamspring.engine.ReplicaPaths;
import io.github.litestreamspring.engine.SnapshotInfo;
import io.github.litestreamspring.engine.WalSegmentInfo;

/**
 * A replica in a local directory ({@code file:///path}), laid out exactly like Litestream v0.3's file
 * replica.
 * <p>
 * Writes go to {@code <name>.tmp} next to the target, are fsynced, renamed atomically over the target
 * and the directory is fsynced ({@link DurableFiles}), so a crash leaves either the old object, the new
 * one, or a stray {@code .tmp} that listings ignore. A directory it creates (a generation, its
 * {@code snapshots/} and {@code wal/}) is made durable the same way, by syncing its parent. Like
 * Litestream, new directories take the mode of the database's directory and new files the mode of the
 * database file, when a database file is given.
 * <p>
 * The lease's compare-and-swap runs under an exclusive {@link FileLock} on {@code lease.json.lock}
 * (plus an in-JVM lock, since a JVM cannot hold two locks on one file): atomic between processes on
 * one host. On a network file system it is only as good as that file system's {@code fcntl} locks.
 * The version tag of a lease is the SHA-256 of its bytes, which always carry a fresh timestamp.
 */
public final class FileReplicaClient implements ReplicaClient {

	/** In-JVM locks per lease file: {@link FileChannel#lock()} only excludes other processes. */
	private static final ConcurrentMap<Path, Object> LEASE_MONITORS = new ConcurrentHashMap<>();

	private final Path root;

	/** Atomic, durable writes with the database's permissions. */
	private final DurableFiles files;

	/** A replica rooted at {@code root}, using the process's default permissions. */
	public FileReplicaClient(Path root) {
		this(root, null);
	}

	/**
	 * A replica rooted at {@code root}.
	 * @param permissionsFrom the database file whose POSIX permissions new files copy (and whose
	 * directory's permissions new directories copy); {@code null} or a non-POSIX file system keeps the
	 * defaults
	 */
	public FileReplicaClient(Path root, Path permissionsFrom) {
		this.root = root.toAbsolutePath().normalize();
		this.files = new DurableFiles(permissionsFrom);
	}

	@Override
	public String type() {
		return "file";
	}

	@Override
	public String describe() {
		return "file://" + this.root;
	}

	/** The replica's root directory. */
	public Path root() {
		return this.root;
	}

	@Override
	public List<String> generations() throws IOException {
		List<String> result = new ArrayList<>();
		for (Path p : list(path(ReplicaPaths.generationsPath("")))) {
			String name = p.getFileName().toString();
			if (ReplicaPaths.isGenerationName(name) && Files.isDirectory(p)) {
				result.add(name);
			}
		}
		result.sort(Comparator.naturalOrder());
		return result;
	}

	@Override
	public List<SnapshotInfo> snapshots(String generation) throws IOException {
		requireGeneration(generation);
		List<SnapshotInfo> result = new ArrayList<>();
		for (Path p : list(path(ReplicaPaths.snapshotsPath("", generation)))) {
			long index = ReplicaPaths.parseSnapshotName(p.getFileName().toString());
			BasicFileAttributes attrs = (index < 0) ? null : attributes(p);
			if (attrs != null && attrs.isRegularFile()) {
				result.add(new SnapshotInfo(generation, index, attrs.size(), attrs.lastModifiedTime().toInstant()));
			}
		}
		result.sort(Comparator.comparingLong(SnapshotInfo::index));
		return result;
	}

	@Override
	public List<WalSegmentInfo> walSegments(String generation) throws IOException {
		requireGeneration(generation);
		List<WalSegmentInfo> result = new ArrayList<>();
		for (Path p : list(path(ReplicaPaths.walPath("", generation)))) {
			long[] parsed = ReplicaPaths.parseWalSegmentName(p.getFileName().toString());
			BasicFileAttributes attrs = (parsed == null) ? null : attributes(p);
			if (attrs != null && attrs.isRegularFile()) {
				result.add(new WalSegmentInfo(generation, parsed[0], parsed[1], attrs.size(),
						attrs.lastModifiedTime().toInstant()));
			}
		}
		result.sort(Comparator.comparingLong(WalSegmentInfo::index).thenComparingLong(WalSegmentInfo::offset));
		return result;
	}

	@Override
	public List<CompactedWalInfo> compactedWals(String generation) throws IOException {
		requireGeneration(generation);
		List<CompactedWalInfo> result = new ArrayList<>();
		for (Path p : list(path(ReplicaPaths.compactedPath("", generation)))) {
			String name = p.getFileName().toString();
			BasicFileAttributes attrs = (ReplicaPaths.parseCompactedWalName(name) == null) ? null : attributes(p);
			if (attrs != null && attrs.isRegularFile()) {
				result.add(CompactedWalInfo.of(generation, name, attrs.size(), attrs.lastModifiedTime().toInstant()));
			}
		}
		result.sort(Comparator.comparingLong(CompactedWalInfo::index));
		return result;
	}

	@Override
	public CompactedWalInfo writeCompactedWal(Pos start, long end, boolean sealed, InputStream data)
			throws IOException {
		requireGeneration(start.generation());
		CompactedWalInfo wal = new CompactedWalInfo(start.generation(), start.index(), start.offset(), end, sealed, 0,
				null);
		BasicFileAttributes attrs = this.files.writeAtomically(path(ReplicaPaths.compactedWalPath("", wal)), data);
		return new CompactedWalInfo(wal.generation(), wal.index(), wal.start(), end, sealed, attrs.size(),
				attrs.lastModifiedTime().toInstant());
	}

	@Override
	public InputStream openCompactedWal(CompactedWalInfo wal) throws IOException {
		requireGeneration(wal.generation());
		return open(path(ReplicaPaths.compactedWalPath("", wal)));
	}

	@Override
	public void deleteCompactedWals(List<CompactedWalInfo> wals) throws IOException {
		for (CompactedWalInfo w : wals) {
			requireGeneration(w.generation());
			Files.deleteIfExists(path(ReplicaPaths.compactedWalPath("", w)));
		}
	}

	@Override
	public SnapshotInfo writeSnapshot(String generation, long index, InputStream data) throws IOException {
		requireGeneration(generation);
		Path target = path(ReplicaPaths.snapshotPath("", generation, index));
		BasicFileAttributes attrs = this.files.writeAtomically(target, data);
		return new SnapshotInfo(generation, index, attrs.size(), attrs.lastModifiedTime().toInstant());
	}

	@Override
	public WalSegmentInfo writeWalSegment(Pos pos, InputStream data) throws IOException {
		requireGeneration(pos.generation());
		Path target = path(ReplicaPaths.walSegmentPath("", pos.generation(), pos.index(), pos.offset()));
		BasicFileAttributes attrs = this.files.writeAtomically(target, data);
		return new WalSegmentInfo(pos.generation(), pos.index(), pos.offset(), attrs.size(),
				attrs.lastModifiedTime().toInstant());
	}

	@Override
	public InputStream openSnapshot(String generation, long index) throws IOException {
		requireGeneration(generation);
		return open(path(ReplicaPaths.snapshotPath("", generation, index)));
	}

	@Override
	public InputStream openWalSegment(Pos pos) throws IOException {
		requireGeneration(pos.generation());
		return open(path(ReplicaPaths.walSegmentPath("", pos.generation(), pos.index(), pos.offset())));
	}

	@Override
	public void deleteSnapshots(List<SnapshotInfo> snapshots) throws IOException {
		for (SnapshotInfo s : snapshots) {
			requireGeneration(s.generation());
			Files.deleteIfExists(path(ReplicaPaths.snapshotPath("", s.generation(), s.index())));
		}
	}

	@Override
	public void deleteWalSegments(List<WalSegmentInfo> segments) throws IOException {
		for (WalSegmentInfo s : segments) {
			requireGeneration(s.generation());
			Files.deleteIfExists(path(ReplicaPaths.walSegmentPath("", s.generation(), s.index(), s.offset())));
		}
	}

	@Override
	public void deleteGeneration(String generation) throws IOException {
		requireGeneration(generation);
		Path dir = path(ReplicaPaths.generationPath("", generation));
		if (!Files.exists(dir)) {
			return;
		}
		Files.walkFileTree(dir, new SimpleFileVisitor<>() {

			@Override
			public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
				Files.deleteIfExists(file);
				return FileVisitResult.CONTINUE;
			}

			@Override
			public FileVisitResult visitFileFailed(Path file, IOException ex) throws IOException {
				// A concurrent delete got there first: that is the outcome we want.
				if (ex instanceof NoSuchFileException) {
					return FileVisitResult.CONTINUE;
				}
				throw ex;
			}

			@Override
			public FileVisitResult postVisitDirectory(Path d, IOException ex) throws IOException {
				if (ex != null && !(ex instanceof NoSuchFileException)) {
					throw ex;
				}
				Files.deleteIfExists(d);
				return FileVisitResult.CONTINUE;
			}

		});
	}

	@Override
	public Optional<LeaseObject> readLease() throws IOException {
		return withLeaseLock(this::currentLease);
	}

	@Override
	public String createLease(byte[] content) throws IOException {
		return withLeaseLock(() -> currentLease().isPresent() ? null : writeLease(content));
	}

	@Override
	public String replaceLease(String etag, byte[] content) throws IOException {
		return withLeaseLock(() -> {
			Optional<LeaseObject> current = currentLease();
			return (current.isPresent() && current.get().etag().equals(etag)) ? writeLease(content) : null;
		});
	}

	@Override
	public String toString() {
		return describe();
	}

	private Optional<LeaseObject> currentLease() throws IOException {
		try {
			byte[] content = Files.readAllBytes(path(LEASE_NAME));
			return Optional.of(new LeaseObject(content, etag(content)));
		}
		catch (NoSuchFileException ex) {
			return Optional.empty();
		}
	}

	private String writeLease(byte[] content) throws IOException {
		this.files.writeAtomically(path(LEASE_NAME), new ByteArrayInputStream(content));
		return etag(content);
	}

	private <T> T withLeaseLock(LeaseCall<T> call) throws IOException {
		Path lockFile = path(LEASE_NAME + ".lock");
		synchronized (LEASE_MONITORS.computeIfAbsent(lockFile, (k) -> new Object())) {
			this.files.createDirectories(this.root);
			try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
					FileLock lock = channel.lock()) {
				return call.run();
			}
		}
	}

	@FunctionalInterface
	private interface LeaseCall<T> {

		T run() throws IOException;

	}

	private static String etag(byte[] content) {
		try {
			byte[] digest = MessageDigest.getInstance("SHA-256").digest(content);
			return HexFormat.of().formatHex(Arrays.copyOf(digest, 16));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is not available", ex);
		}
	}

	private Path path(String relative) {
		return this.root.resolve(relative);
	}

	private static InputStream open(Path file) throws IOException {
		try {
			return Files.newInputStream(file);
		}
		catch (NoSuchFileException ex) {
			FileNotFoundException fnf = new FileNotFoundException("replica object not found: " + file);
			fnf.initCause(ex);
			throw fnf;
		}
	}

	private static List<Path> list(Path dir) throws IOException {
		List<Path> result = new ArrayList<>();
		try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
			stream.forEach(result::add);
		}
		catch (NoSuchFileException ex) {
			// A generation or directory that does not exist lists as empty.
		}
		return result;
	}

	private static BasicFileAttributes attributes(Path p) throws IOException {
		try {
			return Files.readAttributes(p, BasicFileAttributes.class);
		}
		catch (NoSuchFileException ex) {
			return null; // deleted between listing and stat
		}
	}

	private static void requireGeneration(String generation) {
		// Also keeps '..' and separators out of paths built from caller input.
		if (!ReplicaPaths.isGenerationName(generation)) {
			throw new IllegalArgumentException("invalid generation name: " + generation);
		}
	}

}
