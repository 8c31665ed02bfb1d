package io.github.litestreamspring.sample.deploy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import io.github.litestreamspring.engine.replica.s3.S3ProxyServer;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaClient;
import io.github.litestreamspring.engine.replica.s3.S3ReplicaOptions;
import io.github.litestreamspring.engine.restore.RestoreOptions;
import io.github.litestreamspring.engine.restore.RestoreResult;
import io.github.litestreamspring.engine.restore.Restorer;
import io.github.litestreamspring.interop.CommandResult;
import io.github.litestreamspring.interop.LitestreamCli;
import io.github.litestreamspring.interop.LitestreamConfig;

import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Reads the replica the instances share, from outside: the lease object, the generations, and the
 * notes of the latest state restored by our restore and by the real {@code litestream restore} v0.3.13.
 */
final class ReplicaInspection implements AutoCloseable {

	private final S3ProxyServer server;

	private final S3Client s3;

	private final String bucket;

	private final String root;

	ReplicaInspection(S3ProxyServer server, String bucket, String root) {
		this.server = server;
		this.s3 = server.client();
		this.bucket = bucket;
		this.root = root;
	}

	/** The replica URL the instances are configured with. */
	String url() {
		return "s3://" + this.bucket + "/" + this.root;
	}

	/** {@code lease.json} as text, or {@code null} when there is none. */
	String lease() {
		try {
			return this.s3.getObjectAsBytes((b) -> b.bucket(this.bucket).key(this.root + "/lease.json"))
				.asString(StandardCharsets.UTF_8);
		}
		catch (NoSuchKeyException ex) {
			return null;
		}
	}

	/** The generation ids under {@code generations/}, sorted. */
	Set<String> generations() {
		String prefix = this.root + "/generations/";
		Set<String> ids = new TreeSet<>();
		for (S3Object o : this.s3.listObjectsV2Paginator((b) -> b.bucket(this.bucket).prefix(prefix)).contents()) {
			String rest = o.key().substring(prefix.length());
			int slash = rest.indexOf('/');
			if (slash > 0) {
				ids.add(rest.substring(0, slash));
			}
		}
		return ids;
	}

	/** The notes' bodies of the latest state, restored by our engine into {@code output}. */
	Set<String> restoreOurs(Path output) throws Exception {
		try (S3ReplicaClient client = new S3ReplicaClient(this.s3, this.bucket, this.root,
				S3ReplicaOptions.defaults())) {
			RestoreResult result = new Restorer(client).restore(RestoreOptions.latest(output));
			if (result.outcome() != RestoreResult.Outcome.RESTORED) {
				throw new AssertionError("our restore of " + url() + " did not restore: " + result);
			}
		}
		return notes(output);
	}

	/** The notes' bodies of the latest state, restored by {@code litestream restore} v0.3.13. */
	Set<String> restoreWithLitestream(Path workDir, Path output) throws Exception {
		// v0.3.13 takes a custom endpoint only from a config file, and finds the replica by the
		// database path written there (the file itself need not exist).
		Path config = LitestreamConfig
			.s3Replica(workDir.resolve("notes.db"),
					new LitestreamConfig.S3Replica(this.bucket, this.root, this.server.endpoint().toString(),
							"us-east-1", S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY))
			.writeTo(workDir.resolve("litestream.yml"));
		CommandResult result = LitestreamCli.restore(output, workDir.resolve("notes.db").toAbsolutePath().toString(),
				config);
		if (!result.succeeded()) {
			throw new AssertionError("litestream restore failed\n" + result.describe());
		}
		return notes(output);
	}

	/** The bodies of the {@code notes} table of a database file, in id order. */
	static Set<String> notes(Path db) throws Exception {
		if (!Files.exists(db)) {
			throw new AssertionError("no restored database at " + db);
		}
		Set<String> bodies = new LinkedHashSet<>();
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath());
				Statement s = c.createStatement();
				ResultSet rs = s.executeQuery("SELECT body FROM notes ORDER BY id")) {
			while (rs.next()) {
				bodies.add(rs.getString(1));
			}
		}
		return bodies;
	}

	/** Whether {@code integrity_check} says ok. */
	static String integrity(Path db) throws Exception {
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath());
				Statement s = c.createStatement();
				ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
			List<String> lines = new java.util.ArrayList<>();
			while (rs.next()) {
				lines.add(rs.getString(1));
			}
			return String.join("\n", lines);
		}
	}

	@Override
	public void close() {
		this.s3.close();
	}

}
