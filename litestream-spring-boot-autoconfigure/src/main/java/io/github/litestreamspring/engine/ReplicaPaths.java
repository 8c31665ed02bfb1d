package io.github.litestreamspring.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Object names of the Litestream v0.3 replica layout, byte-identical to Litestream v0.3.13.
 * <p>
 * Paths are joined with Go's {@code path.Join} semantics: empty elements are dropped, duplicate and
 * trailing slashes are cleaned, a leading slash of the root is kept. Names are parsed leniently where
 * Litestream v0.5 is (offsets of 8 to 16 hex digits) and strictly otherwise.
 */
public final class ReplicaPaths {

	/** Highest WAL index; reaching it starts a new generation. */
	public static final long MAX_INDEX = 0x7FFFFFFFL;

	private static final Pattern GENERATION = Pattern.compile("^[0-9a-f]{16}$");

	private static final Pattern SNAPSHOT = Pattern.compile("^([0-9a-f]{8})\\.snapshot\\.lz4$");

	private static final Pattern COMPACTED_WAL = Pattern
		.compile("^([0-9a-f]{8})_([0-9a-f]{8,16})_([0-9a-f]{8,16})(\\.sealed)?\\.wal\\.lz4$");

	private static final Pattern WAL_SEGMENT = Pattern.compile("^([0-9a-f]{8})_([0-9a-f]{8,16})\\.wal\\.lz4$");

	private ReplicaPaths() {
	}

	public static boolean isGenerationName(String name) {
		return name != null && GENERATION.matcher(name).matches();
	}

	/** {@code %08x}: 8 lowercase hex digits, more only when the value needs them. */
	public static String formatIndex(long value) {
		String hex = Long.toHexString(value);
		return (hex.length() >= 8) ? hex : "00000000".substring(hex.length()) + hex;
	}

	public static String snapshotName(long index) {
		return formatIndex(index) + ".snapshot.lz4";
	}

	public static String walSegmentName(long index, long offset) {
		return formatIndex(index) + "_" + formatIndex(offset) + ".wal.lz4";
	}

	/** The index of a snapshot object name, or -1 if the name is not one. */
	public static long parseSnapshotName(String name) {
		Matcher m = SNAPSHOT.matcher(name);
		return m.matches() ? Long.parseLong(m.group(1), 16) : -1;
	}

	/** {@code [index, offset]} of a WAL segment object name, or {@code null} if the name is not one. */
	public static long[] parseWalSegmentName(String name) {
		Matcher m = WAL_SEGMENT.matcher(name);
		if (!m.matches()) {
			return null;
		}
		return new long[] { Long.parseLong(m.group(1), 16), Long.parseUnsignedLong(m.group(2), 16) };
	}

	/** {@code <root>/generations}. */
	public static String generationsPath(String root) {
		return join(root, "generations");
	}

	/** {@code <root>/generations/<generation>}. */
	public static String generationPath(String root, String generation) {
		return join(root, "generations", generation);
	}

	/** {@code <root>/generations/<generation>/snapshots}. */
	public static String snapshotsPath(String root, String generation) {
		return join(root, "generations", generation, "snapshots");
	}

	/**
	 * {@code <root>/generations/<generation>/compacted}: Litestream lists only {@code snapshots} and
	 * {@code wal} of a generation, so it never sees these objects.
	 */
	public static String compactedPath(String root, String generation) {
		return join(root, "generations", generation, "compacted");
	}

	/**
	 * {@code <index>_<start>_<end>.wal.lz4}, or {@code <index>_<start>_<end>.sealed.wal.lz4} for all of a
	 * sealed index.
	 */
	public static String compactedWalName(long index, long start, long end, boolean sealed) {
		return formatIndex(index) + "_" + formatIndex(start) + "_" + formatIndex(end) + (sealed ? ".sealed" : "")
				+ ".wal.lz4";
	}

	/**
	 * {@code [index, start, end, sealed ? 1 : 0]} of a compacted WAL object name, or {@code null} if the
	 * name is not one (a sealed object must start at 0).
	 */
	public static long[] parseCompactedWalName(String name) {
		Matcher m = COMPACTED_WAL.matcher(name);
		if (!m.matches()) {
			return null;
		}
		long start = Long.parseUnsignedLong(m.group(2), 16);
		long end = Long.parseUnsignedLong(m.group(3), 16);
		boolean sealed = m.group(4) != null;
		if (start >= end || (sealed && start != 0)) {
			return null;
		}
		return new long[] { Long.parseLong(m.group(1), 16), start, end, sealed ? 1 : 0 };
	}

	public static String compactedWalPath(String root, CompactedWalInfo wal) {
		return join(compactedPath(root, wal.generation()),
				compactedWalName(wal.index(), wal.start(), wal.end(), wal.sealed()));
	}

	/** {@code <root>/generations/<generation>/wal}. */
	public static String walPath(String root, String generation) {
		return join(root, "generations", generation, "wal");
	}

	public static String snapshotPath(String root, String generation, long index) {
		return join(snapshotsPath(root, generation), snapshotName(index));
	}

	public static String walSegmentPath(String root, String generation, long index, long offset) {
		return join(walPath(root, generation), walSegmentName(index, offset));
	}

	/** Go's {@code path.Join}: joins non-empty elements with '/', then cleans the result. */
	public static String join(String... elements) {
		StringBuilder sb = new StringBuilder();
		for (String e : elements) {
			if (e == null || e.isEmpty()) {
				continue;
			}
			if (sb.length() > 0) {
				sb.append('/');
			}
			sb.append(e);
		}
		return (sb.length() == 0) ? "" : clean(sb.toString());
	}

	/** Go's {@code path.Clean} for the shapes replica roots take ('.' and '..' resolved lexically). */
	static String clean(String path) {
		boolean rooted = path.startsWith("/");
		List<String> out = new ArrayList<>();
		for (String part : path.split("/")) {
			if (part.isEmpty() || part.equals(".")) {
				continue;
			}
			if (part.equals("..")) {
				if (!out.isEmpty() && !out.get(out.size() - 1).equals("..")) {
					out.remove(out.size() - 1);
				}
				else if (!rooted) {
					out.add(part);
				}
				continue;
			}
			out.add(part);
		}
		String joined = String.join("/", out);
		if (rooted) {
			return "/" + joined;
		}
		return joined.isEmpty() ? "." : joined;
	}

}
