package io.github.litestreamspring.cli;

import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Just enough JSON output for the {@code --json} listings: maps (insertion-ordered), lists, strings,
 * numbers, booleans, instants (as RFC 3339 strings) and null. A library would be one more dependency
 * in the runnable jar for about forty lines of code.
 */
final class Json {

	private Json() {
	}

	static String write(Object value) {
		StringBuilder sb = new StringBuilder();
		write(value, sb);
		return sb.toString();
	}

	private static void write(Object value, StringBuilder sb) {
		if (value == null) {
			sb.append("null");
		}
		else if (value instanceof Number || value instanceof Boolean) {
			sb.append(value);
		}
		else if (value instanceof Map<?, ?> map) {
			sb.append('{');
			Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
			while (it.hasNext()) {
				Map.Entry<?, ?> e = it.next();
				string(String.valueOf(e.getKey()), sb);
				sb.append(':');
				write(e.getValue(), sb);
				if (it.hasNext()) {
					sb.append(',');
				}
			}
			sb.append('}');
		}
		else if (value instanceof List<?> list) {
			sb.append('[');
			for (int i = 0; i < list.size(); i++) {
				if (i > 0) {
					sb.append(',');
				}
				write(list.get(i), sb);
			}
			sb.append(']');
		}
		else if (value instanceof Instant instant) {
			string(instant.toString(), sb);
		}
		else {
			string(value.toString(), sb);
		}
	}

	private static void string(String s, StringBuilder sb) {
		sb.append('"');
		for (int i = 0; i < s.length(); i++) {
			char c = s.charAt(i);
			switch (c) {
				case '"' -> sb.append("\\\"");
				case '\\' -> sb.append("\\\\");
				case '\n' -> sb.append("\\n");
				case '\r' -> sb.append("\\r");
				case '\t' -> sb.append("\\t");
				default -> {
					if (c < 0x20) {
						sb.append(String.format("\\u%04x", (int) c));
					}
					else {
						sb.append(c);
					}
				}
			}
		}
		sb.append('"');
	}

}
