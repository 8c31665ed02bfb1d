package io.github.litestreamspring.engine.lease;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.litestreamspring.engine.LeaseObject;
import io.github.litestreamspring.engine.Pos;

/**
 * The hand-over of one {@link ReplicaLease}, on the lease object.
 * <p>
 * <b>Hand-over.</b> A starting instance that finds the lease held by a live holder may ask for it
 * ({@code setAskForHandover}): it adds {@code handoverTo} to the holder's lease by compare-and-swap. The
 * holder's next renewal fails its compare-and-swap, re-reads the lease, finds itself still the owner
 * and keeps it, remembering the request ({@link #request()}); no request costs the holder
 * anything while nobody asks. The holder then stops writing, ships everything and writes the lease for
 * the new owner with its final position ({@link #giveTo}); the new owner's next look finds itself the
 * owner ({@link #handedOverToUs()}) and takes the lease with a renewal of its own. A holder that does
 * not answer (an older version, or stuck) is taken over as before, once its lease has not changed for
 * a whole TTL.
 * <p>
 * Guarded by the {@link ReplicaLease}'s monitor.
 */
final class HandoverProtocol {

	/** Under ReplicaLease's name, as before this class was split from it: the log category is unchanged. */
	private static final Logger logger = LoggerFactory.getLogger(ReplicaLease.class);

	private final LeaseStore store;

	private final String owner;

	private final Duration ttl;

	private final String label;

	private final String location;

	/** Whether, while another live instance holds the lease, we ask it to hand the lease over. */
	private boolean askForHandover;

	/** Holder side: the owner id of an instance that asked for the lease, or {@code null}. */
	private String handoverRequest;

	/** New owner's side: the lease as the previous holder handed it to us (with its final position). */
	private LeaseContent handedOverToUs;

	/** Holder side: the lease as this instance handed it over (new owner, final position), or {@code null}. */
	private LeaseContent handedOver;

	HandoverProtocol(LeaseStore store, String owner, Duration ttl, String label, String location) {
		this.store = store;
		this.owner = owner;
		this.ttl = ttl;
		this.label = label;
		this.location = location;
	}

	void setAsk(boolean ask) {
		this.askForHandover = ask;
	}

	/** Whether we ask a live holder for the lease (a starting instance, before its pool opens). */
	boolean asks() {
		return this.askForHandover;
	}

	/** Holder side: the owner id of the instance that asked for the lease, or {@code null}. */
	String request() {
		return this.handoverRequest;
	}

	/** Holder side: a renewal found {@code requester}'s request in the lease. */
	void requested(String requester) {
		if (!requester.equals(this.handoverRequest)) {
			this.handoverRequest = requester;
			logger.info("{}: owner {} asks for the lease on {}; handing it over", this.label, requester, this.location);
		}
	}

	/** Holder side: drops a request (answered, failed, or the lease taken anew). */
	void forgetRequest() {
		this.handoverRequest = null;
	}

	/** New owner's side: the lease as handed over to us (previous owner, final position), or {@code null}. */
	LeaseContent handedOverToUs() {
		return this.handedOverToUs;
	}

	/** Holder side: the lease as this instance handed it over, or {@code null}. */
	LeaseContent handedOver() {
		return this.handedOver;
	}

	/** New owner's side: we took the lease {@code other} handed over to us. */
	void receivedFrom(LeaseContent other) {
		this.handedOverToUs = other;
		logger.info("{}: lease on {} handed over to us (owner {}) by owner {} at {}", this.label, this.location,
				this.owner, other.handedOverFrom(), other.position());
	}

	/** Requester side, while another live instance holds the lease: asks it once for the lease, if we ask at all. */
	void askIfWanted(LeaseObject lease, LeaseContent holderLease, LeaseTakeover takeover) throws IOException {
		if (this.askForHandover && holderLease != null && !this.owner.equals(holderLease.handoverTo())) {
			ask(lease, holderLease, takeover);
		}
	}

	/**
	 * Holder side: writes the lease for the instance that asked for it, with {@code position} (everything
	 * this instance committed, already in the replica); up to three compare-and-swap attempts.
	 * @return the lease as handed over, or {@code null} if the lease is not ours or every attempt lost
	 */
	LeaseContent giveTo(Pos position, Instant acquiredAt) throws IOException {
		for (int attempt = 0; attempt < 3; attempt++) {
			Optional<LeaseObject> current = this.store.read();
			LeaseContent now = current.map((l) -> LeaseContent.parse(l.content())).orElse(null);
			if (now == null || !this.owner.equals(now.owner())) {
				return null;
			}
			String to = (now.handoverTo() != null) ? now.handoverTo() : this.handoverRequest;
			LeaseContent given = LeaseContent.of(this.owner, acquiredAt, Instant.now(), this.ttl, false)
				.handedOverTo(to, Instant.now(), position);
			if (this.store.replace(current.get().etag(), given.toBytes()) != null) {
				this.handedOver = given;
				logger.info("{}: lease on {} handed over to owner {} at {}", this.label, this.location, to, position);
				return given;
			}
		}
		return null;
	}

	/**
	 * Adds our hand-over request to the holder's lease. The request changes the object's version, which
	 * must not restart our own count towards a takeover: the holder did not renew, we wrote.
	 */
	private void ask(LeaseObject lease, LeaseContent holderLease, LeaseTakeover takeover) throws IOException {
		String newEtag = this.store.replaceOnce(lease.etag(), holderLease.withHandoverTo(this.owner).toBytes());
		if (newEtag != null) {
			takeover.weRewrote(lease.etag(), newEtag);
			logger.info("{}: asked {} to hand the lease on {} over to us (owner {})", this.label,
					holderLease.describe(), this.location, this.owner);
		}
	}

}
