package io.github.litestreamspring.benchmarks;

import java.util.Arrays;
import java.util.List;

/** Order statistics. */
final class Stats {

	private Stats() {
	}

	/** The {@code p}-th percentile (0..100) by nearest rank; NaN for no values. */
	static double percentile(double[] sorted, double p) {
		if (sorted.length == 0) {
			return Double.NaN;
		}
		int rank = (int) Math.ceil(p / 100.0 * sorted.length);
		return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
	}

	/** min, median, max of the repetitions' values (NaN ignored); all NaN for none. */
	static double[] minMedianMax(List<Double> values) {
		double[] v = values.stream().mapToDouble(Double::doubleValue).filter((d) -> !Double.isNaN(d)).sorted().toArray();
		if (v.length == 0) {
			return new double[] { Double.NaN, Double.NaN, Double.NaN };
		}
		double median = (v.length % 2 == 1) ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
		return new double[] { v[0], median, v[v.length - 1] };
	}

	static double[] sorted(double[] values) {
		double[] copy = values.clone();
		Arrays.sort(copy);
		return copy;
	}

}
