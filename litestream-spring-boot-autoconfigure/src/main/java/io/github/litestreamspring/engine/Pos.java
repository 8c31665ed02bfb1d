package io.github.litestreamspring.engine;

/**
 * A position in a replicated database's history: a generation, a WAL index inside it and a byte
 * offset inside that index's WAL file (the same offsets as the SQLite {@code -wal} file).
 *
 * @param generation 16 lowercase hex characters, or {@code null} for "no position"
 * @param index WAL index, 0 to {@link ReplicaPaths#MAX_INDEX}
 * @param offset byte offset inside the WAL file of that index
 */
public record Pos(String generation, long index, long offset) implements Comparable<Pos> {

	/** The empty position: nothing replicated yet. */
	public static final Pos NONE = new Pos(null, 0, 0);

	public boolean isNone() {
		return this.generation == null;
	}

	/** Orders positions of the same generation by index, then offset. */
	@Override
	public int compareTo(Pos other) {
		int c = Long.compare(this.index, other.index);
		return (c != 0) ? c : Long.compare(this.offset, other.offset);
	}

	@Override
	public String toString() {
		return isNone() ? "none" : this.generation + "/" + ReplicaPaths.formatIndex(this.index) + ":"
				+ ReplicaPaths.formatIndex(this.offset);
	}

}
