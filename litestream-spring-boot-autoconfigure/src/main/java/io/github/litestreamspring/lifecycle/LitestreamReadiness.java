package io.github.litestreamspring.lifecycle;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.IntStream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ApplicationListener;

import io.github.litestreamspring.engine.lease.WriteGate;

/**
 * Readiness follows the write gates: {@link ReadinessState#REFUSING_TRAFFIC} while any replicated
 * database's {@link WriteGate} is paused or closed (a lease hand-over, an instance that handed its
 * database over), {@link ReadinessState#ACCEPTING_TRAFFIC} again once all are open.
 * <p>
 * It never declares the application ready before Spring Boot does (at {@code ApplicationReadyEvent}): it
 * only withdraws readiness, and restores it after a withdrawal once Boot has declared it; if a gate is
 * not open when Boot declares it, readiness is withdrawn again right after. Liveness is never touched:
 * a database that cannot be written is no reason to restart the process. A follower's gate
 * ({@code litestream.role=follower}) is closed by design and does not count; once it is promoted, it does.
 */
public class LitestreamReadiness implements ApplicationListener<AvailabilityChangeEvent<?>>, DisposableBean {

	private static final Logger logger = LoggerFactory.getLogger(LitestreamReadiness.class);

	private final ApplicationEventPublisher publisher;

	private final List<WriteGate> gates;

	/** The gates of databases that follow their replica now: closed by design, not counted. */
	private final List<BooleanSupplier> following;

	private final Consumer<WriteGate.State> onChange = (state) -> update();

	/** Whether Spring Boot has declared the application ready (an ACCEPTING_TRAFFIC not ours). */
	private boolean ready;

	/** What this component published last, {@code null} before the first. */
	private ReadinessState published;

	public LitestreamReadiness(ApplicationEventPublisher publisher, List<LitestreamReplication> replications) {
		this.publisher = publisher;
		List<WriteGate> gates = new ArrayList<>();
		List<BooleanSupplier> following = new ArrayList<>();
		for (LitestreamReplication replication : replications) {
			gates.add(replication.replicator().writeGate());
			following.add(replication::isFollowing);
		}
		this.gates = List.copyOf(gates);
		this.following = List.copyOf(following);
		this.gates.forEach((gate) -> gate.addListener(this.onChange));
	}

	@Override
	public void onApplicationEvent(AvailabilityChangeEvent<?> event) {
		if (event.getState() != ReadinessState.ACCEPTING_TRAFFIC || event.getSource() == this) {
			return;
		}
		synchronized (this) {
			this.ready = true;
			this.published = null;
		}
		update();
	}

	/** Whether every gate is open. */
	public boolean writesOpen() {
		for (int i = 0; i < this.gates.size(); i++) {
			if (!counted(i)) {
				continue;
			}
			if (this.gates.get(i).state() != WriteGate.State.OPEN) {
				return false;
			}
		}
		return true;
	}

	private boolean counted(int gate) {
		return !this.following.get(gate).getAsBoolean();
	}

	private synchronized void update() {
		ReadinessState target;
		if (!writesOpen()) {
			target = ReadinessState.REFUSING_TRAFFIC;
		}
		else if (this.ready && this.published == ReadinessState.REFUSING_TRAFFIC) {
			target = ReadinessState.ACCEPTING_TRAFFIC;
		}
		else {
			return;
		}
		if (target == this.published) {
			return;
		}
		this.published = target;
		logger.info("Readiness {}: {}", target,
				(target == ReadinessState.REFUSING_TRAFFIC) ? "writes are " + describeClosed() : "writes are open again");
		AvailabilityChangeEvent.publish(this.publisher, this, target);
	}

	private String describeClosed() {
		return IntStream.range(0, this.gates.size())
			.filter(this::counted)
			.mapToObj(this.gates::get)
			.filter((gate) -> gate.state() != WriteGate.State.OPEN)
			.map((gate) -> gate.state().name().toLowerCase(java.util.Locale.ROOT) + " (" + gate.reason() + ")")
			.findFirst()
			.orElse("open");
	}

	@Override
	public void destroy() {
		this.gates.forEach((gate) -> gate.removeListener(this.onChange));
	}

}
