package io.github.litestreamspring.engine.lease;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.litestreamspring.engine.Pos;

/**
 * What a lease object says, as a flat JSON document an operator can read:
 * <pre>
 * {"owner":"3f2a…","host":"web-1","pid":4242,"acquiredAt":"…","renewedAt":"…",
 *  "expiresAt":"…","ttlMillis":30000,"released":false}
 * </pre>
 * The timestamps are informational (the holder's wall clock). Whether a lease is live is decided
 * without trusting clocks: see {@link ReplicaLease}.
 * <p>
 * {@code state} names the holder's local state directory (a random id kept beside the database), so
 * that a process restarted on the same disk and host recognises its dead predecessor's lease.
 * Three optional fields carry a hand-over ({@link ReplicaLease}): {@code handoverTo}, written into the
 * holder's lease by a starting instance that asks for it (the holder's next renewal notices, because its
 * compare-and-swap fails); and, in the lease the holder then writes for the new owner,
 * {@code handedOverFrom} (the old owner) and {@code position} (generation/index/offset, the position the
 * old owner shipped to every replica before it stopped writing). An idle holder's lease says
 * {@code "idle":true} with its {@code position} (see {@link #idleAt}).
 */
record LeaseContent(String owner, String host, long pid, Instant acquiredAt, Instant renewedAt, Instant expiresAt,
		long ttlMillis, boolean released, String handoverTo, String handedOverFrom, Pos position, String state,
		boolean idle) {

	LeaseContent(String owner, String host, long pid, Instant acquiredAt, Instant renewedAt, Instant expiresAt,
			long ttlMillis, boolean released) {
		this(owner, host, pid, acquiredAt, renewedAt, expiresAt, ttlMillis, released, null, null, null, null, false);
	}

	/** This lease naming the holder's local state directory ({@code LocalState.stateId()}), if known. */
	LeaseContent withState(String stateId) {
		return new LeaseContent(this.owner, this.host, this.pid, this.acquiredAt, this.renewedAt, this.expiresAt,
				this.ttlMillis, this.released, this.handoverTo, this.handedOverFrom, this.position, stateId, this.idle);
	}

	/**
	 * This lease made idle at {@code at}: the holder shipped everything up to {@code at} to every replica
	 * and starts no write before it has made the lease active again, so a starting instance may take it
	 * at once, as if it had been handed over at {@code at}.
	 */
	LeaseContent idleAt(Pos at) {
		return new LeaseContent(this.owner, this.host, this.pid, this.acquiredAt, this.renewedAt, this.expiresAt,
				this.ttlMillis, this.released, null, null, at, this.state, true);
	}

	/** This (new owner's) lease, taken from {@code idle}'s holder at its idle position. */
	LeaseContent takenFrom(LeaseContent idle) {
		return new LeaseContent(this.owner, this.host, this.pid, this.acquiredAt, this.renewedAt, this.expiresAt,
				this.ttlMillis, this.released, null, idle.owner(), idle.position(), this.state, false);
	}

	private static final Pattern FIELD = Pattern.compile("\"(\\w+)\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|[^,}\\s]+)");

	static final String HOST = hostName();

	static final long PID = ProcessHandle.current().pid();

	static LeaseContent of(String owner, Instant acquiredAt, Instant now, Duration ttl, boolean released) {
		return new LeaseContent(owner, HOST, PID, acquiredAt, now, released ? now : now.plus(ttl), ttl.toMillis(),
				released);
	}

	/** This lease with a hand-over request from {@code requester} added. */
	LeaseContent withHandoverTo(String requester) {
		return new LeaseContent(this.owner, this.host, this.pid, this.acquiredAt, this.renewedAt, this.expiresAt,
				this.ttlMillis, this.released, requester, this.handedOverFrom, this.position, this.state, this.idle);
	}

	/** The lease a holder writes for {@code newOwner}: handed over from {@code this.owner} at {@code at}. */
	LeaseContent handedOverTo(String newOwner, Instant now, Pos at) {
		return new LeaseContent(newOwner, this.host, this.pid, now, now, now.plusMillis(this.ttlMillis), this.ttlMillis,
				false, null, this.owner, at, null, false);
	}

	byte[] toBytes() {
		StringBuilder json = new StringBuilder("{\"owner\":\"" + escape(this.owner) + "\",\"host\":\"" + escape(this.host)
				+ "\",\"pid\":" + this.pid + ",\"acquiredAt\":\"" + this.acquiredAt + "\",\"renewedAt\":\"" + this.renewedAt
				+ "\",\"expiresAt\":\"" + this.expiresAt + "\",\"ttlMillis\":" + this.ttlMillis + ",\"released\":"
				+ this.released);
		if (this.handoverTo != null) {
			json.append(",\"handoverTo\":\"").append(escape(this.handoverTo)).append('"');
		}
		if (this.handedOverFrom != null) {
			json.append(",\"handedOverFrom\":\"").append(escape(this.handedOverFrom)).append('"');
		}
		if (this.state != null) {
			json.append(",\"state\":\"").append(escape(this.state)).append('"');
		}
		if (this.idle) {
			json.append(",\"idle\":true");
		}
		if (this.position != null) {
			json.append(",\"position\":\"").append(this.position.generation()).append('/')
				.append(this.position.index()).append('/').append(this.position.offset()).append('"');
		}
		return json.append("}\n").toString().getBytes(StandardCharsets.UTF_8);
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
					Long.parseLong(fields.get("ttlMillis")), Boolean.parseBoolean(fields.get("released")),
					fields.get("handoverTo"), fields.get("handedOverFrom"), parsePos(fields.get("position")),
					fields.get("state"), Boolean.parseBoolean(fields.get("idle")));
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

	private static Pos parsePos(String text) {
		if (text == null) {
			return null;
		}
		String[] parts = text.split("/");
		return new Pos(parts[0], Long.parseLong(parts[1]), Long.parseLong(parts[2]));
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
