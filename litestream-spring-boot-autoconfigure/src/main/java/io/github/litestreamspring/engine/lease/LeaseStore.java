package io.github.litestreamspring.engine.lease;

import java.io.IOException;
import java.util.Arrays;
import java.util.Optional;

import io.github.litestreamspring.engine.LeaseObject;
import io.github.litestreamspring.engine.ReplicaClient;

/**
 * The lease object in its replica's store, changed only by compare-and-swap. A refused conditional
 * write is looked at again: when the object holds exactly what we wrote, a retried request's first
 * attempt had succeeded, and the write counts as ours.
 */
final class LeaseStore {

	private final ReplicaClient client;

	LeaseStore(ReplicaClient client) {
		this.client = client;
	}

	/** The store, for messages. */
	String describe() {
		return this.client.describe();
	}

	Optional<LeaseObject> read() throws IOException {
		return this.client.readLease();
	}

	/** The lease's content as last written, or {@code null} when there is none (or it is unreadable). */
	LeaseContent readContent() throws IOException {
		return read().map((l) -> LeaseContent.parse(l.content())).orElse(null);
	}

	/** Creates the lease if absent; returns its version tag, or {@code null} if another writer's exists. */
	String create(byte[] content) throws IOException {
		String etag = this.client.createLease(content);
		return (etag != null) ? etag : ifOurs(content);
	}

	/** Replaces the lease if it is still at {@code etag}; returns the new tag, or {@code null} if it changed. */
	String replace(String etag, byte[] content) throws IOException {
		String newEtag = this.client.replaceLease(etag, content);
		return (newEtag != null) ? newEtag : ifOurs(content);
	}

	/** {@link #replace} without looking again after a refusal (for a write whose refusal is harmless). */
	String replaceOnce(String etag, byte[] content) throws IOException {
		return this.client.replaceLease(etag, content);
	}

	/**
	 * Probes the store (once, before the first take): {@code null} when it honours conditional writes,
	 * otherwise why the lease cannot work there and what to do.
	 */
	String whyUnsafe() throws IOException {
		if (this.client.honoursConditionalWrites()) {
			return null;
		}
		return this.client.describe() + " does not honour conditional writes (a PUT with If-None-Match: * of an "
				+ "existing object succeeded), so the single-writer lease cannot work there; disable it "
				+ "(litestream.lease.enabled=false) and make sure only one instance replicates to this path";
	}

	/**
	 * After a refused conditional write: whether the object holds exactly what we wrote (a retried
	 * request whose first attempt had succeeded), and its version tag if so.
	 */
	private String ifOurs(byte[] content) throws IOException {
		Optional<LeaseObject> now = this.client.readLease();
		return (now.isPresent() && Arrays.equals(now.get().content(), content)) ? now.get().etag() : null;
	}

}
