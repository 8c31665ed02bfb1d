package io.github.litestreamspring.engine.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import io.github.litestreamspring.engine.db.CheckpointMode;
import io.github.litestreamspring.engine.replica.ObservedReplicaClient;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ReplicationListener#composite}: the Spring layer's one listener for many observers. */
class CompositeReplicationListenerTests {

	private final List<String> heard = new ArrayList<>();

	private ReplicationListener recording(String name) {
		return new ReplicationListener() {

			@Override
			public void onNewGeneration(String generation, String reason) {
				CompositeReplicationListenerTests.this.heard.add(name + " generation " + generation);
			}

			@Override
			public void onStorageOperation(Replica replica, ObservedReplicaClient.Operation operation) {
				CompositeReplicationListenerTests.this.heard.add(name + " " + operation);
			}

			@Override
			public void onRetention(Replica replica, int snapshots, int segments, int generations) {
				CompositeReplicationListenerTests.this.heard.add(name + " retention " + snapshots);
			}

			@Override
			public Timing begin(Work work, Replica replica) {
				CompositeReplicationListenerTests.this.heard.add(name + " begin " + work);
				return (failure) -> CompositeReplicationListenerTests.this.heard.add(name + " end " + work);
			}

		};
	}

	@Test
	void everyListenerHearsEveryEventInOrderAndTimingsEndInReverse() {
		Replica replica = new Replica(ReplicaOptions.defaults("file"), new FileReplicaClient(java.nio.file.Path.of("unused")));
		ReplicationListener composite = ReplicationListener.composite(List.of(recording("a"), recording("b")));
		composite.onNewGeneration("g", "why");
		composite.onStorageOperation(replica, ObservedReplicaClient.Operation.PUT);
		composite.onRetention(replica, 2, 0, 0);
		composite.begin(ReplicationListener.Work.SNAPSHOT, replica).end(null);
		assertThat(this.heard).containsExactly("a generation g", "b generation g", "a PUT", "b PUT", "a retention 2",
				"b retention 2", "a begin SNAPSHOT", "b begin SNAPSHOT", "b end SNAPSHOT", "a end SNAPSHOT");
	}

	@Test
	void aListenerAddedLaterHearsTheEventsFromThenOn() {
		List<ReplicationListener> listeners = new CopyOnWriteArrayList<>();
		ReplicationListener composite = ReplicationListener.composite(listeners);
		composite.onNewGeneration("g1", "why");
		listeners.add(recording("late"));
		composite.onNewGeneration("g2", "why");
		assertThat(this.heard).containsExactly("late generation g2");
	}

}
