package io.github.litestreamspring.benchmarks;

import java.net.URI;
import java.nio.file.Path;

import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;

/**
 * Our restore in its own JVM, the counterpart of {@code litestream restore}: arguments
 * {@code endpoint bucket root output}; prints {@code RESULT nanos=<time inside restore()>}.
 */
public final class RestoreMain {

	private RestoreMain() {
	}

	/** The defaults; {@code -Dbench.snapshotDownloadParallelism=N} (diagnostics only) changes that one. */
	private static S3ReplicaOptions options() {
		S3ReplicaOptions defaults = S3ReplicaOptions.defaults();
		String parallelism = System.getProperty("bench.snapshotDownloadParallelism");
		return (parallelism == null) ? defaults
				: defaults.withDownload(defaults.downloadPartSize(), Integer.parseInt(parallelism));
	}

	public static void main(String[] args) {
		try (S3ReplicaClient client = S3ReplicaClient.owning(S3Clients.client(URI.create(args[0])), args[1], args[2],
				options())) {
			RestoreResult result = new Restorer(client).restore(RestoreOptions.latest(Path.of(args[3])));
			System.out.println("RESULT nanos=" + result.duration().toNanos() + " outcome=" + result.outcome());
		}
	}

}
