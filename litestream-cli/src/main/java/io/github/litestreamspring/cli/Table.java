package io.github.litestreamspring.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A left-aligned text table like Litestream's (Go's tabwriter): a header row, then data rows, columns
 * separated by at least two spaces.
 */
final class Table {

	private final List<String[]> rows = new ArrayList<>();

	Table(String... header) {
		this.rows.add(header);
	}

	Table row(Object... cells) {
		String[] row = new String[cells.length];
		for (int i = 0; i < cells.length; i++) {
			row[i] = String.valueOf(cells[i]);
		}
		this.rows.add(row);
		return this;
	}

	void print(PrintWriter out) {
		int columns = this.rows.get(0).length;
		int[] widths = new int[columns];
		for (String[] row : this.rows) {
			for (int i = 0; i < columns; i++) {
				widths[i] = Math.max(widths[i], row[i].length());
			}
		}
		for (String[] row : this.rows) {
			StringBuilder line = new StringBuilder();
			for (int i = 0; i < columns; i++) {
				line.append(row[i]);
				if (i < columns - 1) {
					line.append(" ".repeat(widths[i] - row[i].length() + 2));
				}
			}
			out.println(line);
		}
		out.flush();
	}

}
