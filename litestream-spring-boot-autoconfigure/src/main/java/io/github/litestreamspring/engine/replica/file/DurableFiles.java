package io.github.litestreamspring.engine.replica.file;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * How a file replica writes (Litestream v0.3's file replica): a file goes to {@code <name>.tmp} next to
 * the target, is fsynced, renamed atomically over the target and the directory is fsynced; a directory
 * it creates is made durable by syncing its parent. New directories take the mode of the database's
 * directory and new files the mode of the database file, when a database file is given.
 */
final class DurableFiles {

	private final Set<PosixFilePermission> dirPermissions;

	private final Set<PosixFilePermission> filePermissions;

	/**
	 * @param permissionsFrom the database file whose POSIX permissions new files copy (and whose
	 * directory's permissions new directories copy); {@code null} or a non-POSIX file system keeps the
	 * defaults
	 */
	DurableFiles(Path permissionsFrom) {
		this.filePermissions = posixPermissions(permissionsFrom);
		this.dirPermissions = (permissionsFrom != null)
				? posixPermissions(permissionsFrom.toAbsolutePath().getParent()) : null;
	}

	BasicFileAttributes writeAtomically(Path target, InputStream data) throws IOException {
		Path dir = target.getParent();
		createDirectories(dir);
		Path tmp = dir.resolve(target.getFileName() + ".tmp");
		try {
			try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
					StandardOpenOption.TRUNCATE_EXISTING)) {
				OutputStream out = Channels.newOutputStream(channel);
				data.transferTo(out);
				channel.force(true);
			}
			applyPermissions(tmp, this.filePermissions);
			Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
		}
		catch (IOException | RuntimeException ex) {
			Files.deleteIfExists(tmp);
			throw ex;
		}
		// The rename is only durable once the directory entry is on disk.
		fsyncDirectory(dir);
		return Files.readAttributes(target, BasicFileAttributes.class);
	}

	void createDirectories(Path dir) throws IOException {
		if (Files.isDirectory(dir)) {
			return;
		}
		// Create top-down so that each new level gets the database directory's permissions.
		List<Path> missing = new ArrayList<>();
		for (Path p = dir; p != null && !Files.isDirectory(p); p = p.getParent()) {
			missing.add(0, p);
		}
		for (Path p : missing) {
			try {
				Files.createDirectory(p);
				applyPermissions(p, this.dirPermissions);
			}
			catch (FileAlreadyExistsException ex) {
				// Another writer created it concurrently.
				if (!Files.isDirectory(p)) {
					throw ex;
				}
			}
			// A new directory's entry is only durable once its parent is synced: without it a power cut
			// could lose a generation's directory, and every object in it, after they were fsynced.
			if (p.getParent() != null) {
				fsyncDirectory(p.getParent());
			}
		}
	}

	private static void fsyncDirectory(Path dir) throws IOException {
		try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
			channel.force(true);
		}
		catch (IOException ex) {
			// Some platforms (Windows) cannot open or sync a directory; POSIX ones must.
			if (isPosix(dir)) {
				throw ex;
			}
		}
	}

	private static Set<PosixFilePermission> posixPermissions(Path p) {
		if (p == null || !isPosix(p)) {
			return null;
		}
		try {
			return Files.getPosixFilePermissions(p);
		}
		catch (IOException | UnsupportedOperationException ex) {
			return null; // missing or unreadable: fall back to defaults
		}
	}

	private static void applyPermissions(Path p, Set<PosixFilePermission> permissions) throws IOException {
		if (permissions != null && isPosix(p)) {
			Files.setPosixFilePermissions(p, permissions);
		}
	}

	private static boolean isPosix(Path p) {
		return p.getFileSystem().supportedFileAttributeViews().contains("posix")
				&& Files.getFileAttributeView(p, PosixFileAttributeView.class) != null;
	}

}
