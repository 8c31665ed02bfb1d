package io.github.litestreamspring.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects one value per repetition for (row, column) cells and renders markdown tables: each cell
 * is {@code median (min–max)}, and ratio columns divide the medians of two columns.
 */
final class Report {

	/** A ratio column: median of {@code numerator} over median of {@code denominator}. */
	record Ratio(String title, String numerator, String denominator) {
	}

	/** One table: its title, value columns and ratio columns; rows appear in insertion order. */
	static final class Table {

		final String title;

		final List<String> columns;

		final List<Ratio> ratios;

		final Map<String, Map<String, List<Double>>> rows = new LinkedHashMap<>();

		Table(String title, List<String> columns, List<Ratio> ratios) {
			this.title = title;
			this.columns = columns;
			this.ratios = ratios;
		}

		/** Fixes a row's position before any value arrives (the first side to run may have none for it). */
		void declare(String row) {
			this.rows.computeIfAbsent(row, (r) -> new LinkedHashMap<>());
		}

		void add(String row, String column, double value) {
			this.rows.computeIfAbsent(row, (r) -> new LinkedHashMap<>())
				.computeIfAbsent(column, (c) -> new ArrayList<>())
				.add(value);
		}

		String render() {
			StringBuilder sb = new StringBuilder();
			sb.append("### ").append(this.title).append("\n\n| metric |");
			this.columns.forEach((c) -> sb.append(' ').append(c).append(" |"));
			this.ratios.forEach((r) -> sb.append(' ').append(r.title()).append(" |"));
			sb.append("\n|---|");
			this.columns.forEach((c) -> sb.append("---:|"));
			this.ratios.forEach((r) -> sb.append("---:|"));
			sb.append('\n');
			this.rows.forEach((row, cells) -> {
				sb.append("| ").append(row).append(" |");
				for (String c : this.columns) {
					sb.append(' ').append(cell(cells.get(c))).append(" |");
				}
				for (Ratio r : this.ratios) {
					double num = median(cells.get(r.numerator()));
					double den = median(cells.get(r.denominator()));
					sb.append(' ').append((Double.isNaN(num) || Double.isNaN(den) || den == 0) ? "–"
							: String.format("%.2f×", num / den)).append(" |");
				}
				sb.append('\n');
			});
			return sb.toString();
		}

	}

	private final List<Table> tables = new ArrayList<>();

	private final List<String> notes = new ArrayList<>();

	Table table(String title, List<String> columns, List<Ratio> ratios) {
		Table t = new Table(title, columns, ratios);
		this.tables.add(t);
		return t;
	}

	void note(String note) {
		this.notes.add(note);
	}

	String render() {
		StringBuilder sb = new StringBuilder();
		// Tables of scenarios that were not run (--scenarios) stay out of the report.
		this.tables.stream().filter((t) -> !t.rows.isEmpty()).forEach((t) -> sb.append(t.render()).append('\n'));
		if (!this.notes.isEmpty()) {
			sb.append("Notes:\n\n");
			this.notes.forEach((n) -> sb.append("- ").append(n).append('\n'));
		}
		return sb.toString();
	}

	private static double median(List<Double> values) {
		return (values == null) ? Double.NaN : Stats.minMedianMax(values)[1];
	}

	static String cell(List<Double> values) {
		if (values == null || values.isEmpty()) {
			return "–";
		}
		double[] mmm = Stats.minMedianMax(values);
		if (Double.isNaN(mmm[1])) {
			return "n/a";
		}
		if (values.size() == 1) {
			return number(mmm[1]);
		}
		return number(mmm[1]) + " (" + number(mmm[0]) + "–" + number(mmm[2]) + ")";
	}

	static String number(double v) {
		double a = Math.abs(v);
		if (a >= 100 || v == Math.rint(v) && a >= 10) {
			return String.format("%.0f", v);
		}
		return (a >= 10) ? String.format("%.1f", v) : (a >= 1) ? String.format("%.2f", v) : String.format("%.3f", v);
	}

}
