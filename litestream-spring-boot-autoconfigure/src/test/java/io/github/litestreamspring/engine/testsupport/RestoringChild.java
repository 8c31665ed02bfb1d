package io.github.litestreamspring.engine.testsupport;

import java.nio.file.Path;

import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;

/**
 * Our restore of the latest state of a file replica, alone in a JVM whose heap the test chooses
 * (started with {@link ChildJvm}): {@code RestoringChild <replica dir> <output>}. Prints
 * {@code RESTORED <millis> <compressed bytes read>}.
 */
public final class RestoringChild {

	private RestoringChild() {
	}

	public static void main(String[] args) {
		Path replica = Path.of(args[0]);
		Path output = Path.of(args[1]);
		RestoreResult result = new Restorer(new FileReplicaClient(replica)).restore(RestoreOptions.latest(output));
		System.out.println("RESTORED " + result.duration().toMillis() + " " + result.downloadedBytes());
	}

}
