package io.github.litestreamspring.engine;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a lease object says, as a flat JSON document an operator can read:
 * <pre>
 * {"owner":"3f2a…","host":"web-1","pid":4242,"acquiredAt":"…","renewedAt":"…",
 *  "expiresAt":"…","ttlMillis":30000,"released":false}
 * </pre>
 * The timestamps are informational (the holder's wall clock). Whether a lease is live is decided
 * without trusting clocks: see {@link ReplicaLease}.
 */
record LeaseContent(String owner, String host, long pid, Instant acquiredAt, Instant renewedAt, Instant expiresAt,
		long ttlMillis, boolean released) {

	private static final Pattern FIELD = Pattern.compile("\"(\\w+)\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|[^,}\\s]+)");

	static final String HOST = hostName();

	static final long PID = ProcessHandle.current().pid();

	static LeaseContent of(String owner, Instant acquiredAt, Instant now, Duration ttl, boolean released) {
		return new LeaseContent(owner, HOST, PID, acquiredAt, now, released ? now : now.plus(ttl), ttl.toMillis(),
				released);
	}

	byte[] toBytes() {
		return ("{\"owner\":\"" + escape(this.owner) + "\",\"host\":\"" + escape(this.host) + "\",\"pid\":" + this.pid
				+ ",\"acquiredAt\":\"" + this.acquiredAt + "\",\"renewedAt\":\"" + this.renewedAt + "\",\"expiresAt\":\""
				+ this.expiresAt + "\",\"ttlMillis\":" + this.ttlMillis + ",\"released\":" + this.released + "}\n")
			.getBytes(StandardCharsets.UTF_8);
	}

	/** Parses a lease object; {@code null} if it is not one of ours (then it counts as a foreign holder). */
	static LeaseContent parse(byte[] content) {
		Map<String, String> fields = new HashMap<>();
		Matcher m = FIELD.matcher(new String(content, StandardCharsets.UTF_8));
		while (m.find()) {
			fields.put(m.group(1), (m.group(3) != null) ? m.group(3).replace("\\\"", "\"").replace("\\\\", "\\")
					: m.group(2));
		}
		try {
			return new LeaseContent(fields.get("owner"), fields.getOrDefault("host", "?"),
					Long.parseLong(fields.getOrDefault("pid", "0")), Instant.parse(fields.get("acquiredAt")),
					Instant.parse(fields.get("renewedAt")), Instant.parse(fields.get("expiresAt")),
					Long.parseLong(fields.get("ttlMillis")), Boolean.parseBoolean(fields.get("released")));
		}
		catch (RuntimeException ex) {
			return null;
		}
	}

	/** The holder for messages: "owner 3f2a… (host web-1, pid 4242, renewed at …, expires at …)". */
	String describe() {
		return "owner " + this.owner + " (host " + this.host + ", pid " + this.pid + ", renewed at " + this.renewedAt
				+ ", expires at " + this.expiresAt + ")";
	}

	private static String escape(String s) {
		return s.replace("\\", "\\\\").replace("\"", "\\\"");
	}

	private static String hostName() {
		String env = System.getenv("HOSTNAME");
		if (env != null && !env.isBlank()) {
			return env;
		}
		try {
			return InetAddress.getLocalHost().getHostName();
		}
		catch (Exception ex) {
			return ManagementFactory.getRuntimeMXBean().getName();
		}
	}

}
