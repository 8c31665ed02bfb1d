package io.github.litestreamspring.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

import io.github.litestreamspring.engine.restore.RestorePlan;

/** Parsing and printing of the values Litestream's CLI shows: RFC 3339 times, hex indexes, Go durations. */
final class Formats {

	private Formats() {
	}

	/** RFC 3339 with a Z or an offset, e.g. {@code 2026-01-02T03:04:05Z} or {@code 2026-01-02T05:04:05+02:00}. */
	static Instant parseTimestamp(String value) {
		try {
			return OffsetDateTime.parse(value, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
		}
		catch (DateTimeParseException ex) {
			throw new IllegalArgumentException("'" + value + "' is not an RFC 3339 time such as 2026-01-02T03:04:05Z");
		}
	}

	/** A WAL index in hex, as Litestream's {@code -index} takes it ({@code 0000000a} or {@code a}). */
	static long parseIndex(String value) {
		try {
			long index = Long.parseLong(value, 16);
			if (index < 0 || index > 0xFFFFFFFFL) {
				throw new NumberFormatException();
			}
			return index;
		}
		catch (NumberFormatException ex) {
			throw new IllegalArgumentException("'" + value + "' is not a hexadecimal WAL index such as 0000000a");
		}
	}

	static String hex(long index) {
		return String.format("%08x", index);
	}

	/** RFC 3339 in UTC to the second, as Litestream prints times. */
	static String time(Instant instant) {
		return (instant != null) ? instant.truncatedTo(ChronoUnit.SECONDS).toString() : "-";
	}

	/** A duration the way Go prints one, to the second: {@code 3s}, {@code 2m5s}, {@code 26h3m0s}. */
	static String goDuration(Duration d) {
		long s = Math.max(0, d.getSeconds());
		if (s < 60) {
			return s + "s";
		}
		if (s < 3600) {
			return (s / 60) + "m" + (s % 60) + "s";
		}
		return (s / 3600) + "h" + ((s % 3600) / 60) + "m" + (s % 60) + "s";
	}

	/** A plan's skipped generations for JSON: generation, newest WAL time, segment count. */
	static java.util.List<java.util.Map<String, Object>> skipped(RestorePlan plan) {
		return plan.skipped().stream().map((g) -> {
			java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
			m.put("generation", g.generation());
			m.put("updated", g.updatedAt());
			m.put("wal_segments", g.walSegments());
			return m;
		}).toList();
	}

	static String megabytes(long bytes) {
		return String.format("%.1f MB", bytes / 1048576.0);
	}

	static String mbPerSecond(long bytes, Duration d) {
		double seconds = Math.max(d.toNanos(), 1) / 1e9;
		return String.format("%.1f MB/s", bytes / 1048576.0 / seconds);
	}

}
