package io.github.litestreamspring.interop;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A Litestream v0.3.13 configuration file for one database with one replica (format reference
 * §9). Unset options are left out so that Litestream's own defaults apply. Mutable builder; not
 * thread-safe.
 */
public final class LitestreamConfig {

	private final Path database;

	private final Path fileReplicaDir;

	private final S3Replica s3Replica;

	private final Map<String, String> dbOptions = new LinkedHashMap<>();

	private final Map<String, String> replicaOptions = new LinkedHashMap<>();

	private String logLevel;

	private LitestreamConfig(Path database, Path fileReplicaDir, S3Replica s3Replica) {
		this.database = database.toAbsolutePath();
		this.fileReplicaDir = (fileReplicaDir != null) ? fileReplicaDir.toAbsolutePath() : null;
		this.s3Replica = s3Replica;
	}

	/** Replicates {@code database} to a directory on the local file system. */
	public static LitestreamConfig fileReplica(Path database, Path replicaDir) {
		return new LitestreamConfig(database, Objects.requireNonNull(replicaDir, "replicaDir"), null);
	}

	/** Replicates {@code database} to an S3-compatible bucket. */
	public static LitestreamConfig s3Replica(Path database, S3Replica replica) {
		return new LitestreamConfig(database, null, Objects.requireNonNull(replica, "replica"));
	}

	public Path database() {
		return this.database;
	}

	/**
	 * The replica URL that one-shot commands ({@code restore}, {@code generations}, ...) accept
	 * for this replica: {@code file:///abs/dir}, or {@code s3://bucket/path} (which only works
	 * for real AWS; use the config file for custom endpoints).
	 */
	public String replicaUrl() {
		if (this.fileReplicaDir != null) {
			return "file://" + this.fileReplicaDir;
		}
		String path = (this.s3Replica.path() == null) ? "" : this.s3Replica.path().replaceFirst("^/+", "");
		return "s3://" + this.s3Replica.bucket() + "/" + path;
	}

	/** How often the replica uploads new WAL data (Litestream default 1s). */
	public LitestreamConfig syncInterval(Duration interval) {
		return replicaOption("sync-interval", goDuration(interval));
	}

	/** How often a new snapshot is taken (Litestream default: never, except on new generations). */
	public LitestreamConfig snapshotInterval(Duration interval) {
		return replicaOption("snapshot-interval", goDuration(interval));
	}

	/** How long snapshots and WAL are kept (Litestream default 24h). */
	public LitestreamConfig retention(Duration retention) {
		return replicaOption("retention", goDuration(retention));
	}

	/** How often retention is enforced (Litestream default 1h, capped at the retention). */
	public LitestreamConfig retentionCheckInterval(Duration interval) {
		return replicaOption("retention-check-interval", goDuration(interval));
	}

	/** How often the database is polled for changes (Litestream default 1s). */
	public LitestreamConfig monitorInterval(Duration interval) {
		return dbOption("monitor-interval", goDuration(interval));
	}

	/** How long the database must be idle before a PASSIVE checkpoint (Litestream default 1m). */
	public LitestreamConfig checkpointInterval(Duration interval) {
		return dbOption("checkpoint-interval", goDuration(interval));
	}

	/** WAL size in pages that triggers a PASSIVE checkpoint (Litestream default 1000). */
	public LitestreamConfig minCheckpointPageCount(int pages) {
		return dbOption("min-checkpoint-page-count", Integer.toString(pages));
	}

	/** WAL size in pages that forces a RESTART checkpoint; 0 disables (Litestream default 10000). */
	public LitestreamConfig maxCheckpointPageCount(int pages) {
		return dbOption("max-checkpoint-page-count", Integer.toString(pages));
	}

	/** Log level: {@code debug}, {@code info}, {@code warn} or {@code error}. */
	public LitestreamConfig logLevel(String level) {
		this.logLevel = level;
		return this;
	}

	/** Starts {@code litestream replicate} with this configuration, see {@link LitestreamProcess}. */
	public LitestreamProcess start(Path workDir) {
		return LitestreamProcess.start(this, workDir);
	}

	/** Renders the YAML document. */
	public String toYaml() {
		StringBuilder yaml = new StringBuilder();
		if (this.logLevel != null) {
			yaml.append("logging:\n  level: ").append(quote(this.logLevel)).append('\n');
		}
		yaml.append("dbs:\n");
		yaml.append("  - path: ").append(quote(this.database.toString())).append('\n');
		this.dbOptions.forEach((key, value) -> yaml.append("    ").append(key).append(": ").append(value).append('\n'));
		yaml.append("    replicas:\n");
		String indent = "        ";
		if (this.fileReplicaDir != null) {
			yaml.append("      - type: file\n");
			yaml.append(indent).append("path: ").append(quote(this.fileReplicaDir.toString())).append('\n');
		}
		else {
			S3Replica s3 = this.s3Replica;
			yaml.append("      - type: s3\n");
			yaml.append(indent).append("bucket: ").append(quote(s3.bucket())).append('\n');
			if (s3.path() != null) {
				yaml.append(indent).append("path: ").append(quote(s3.path())).append('\n');
			}
			if (s3.endpoint() != null) {
				yaml.append(indent).append("endpoint: ").append(quote(s3.endpoint())).append('\n');
				yaml.append(indent).append("force-path-style: true\n");
			}
			if (s3.region() != null) {
				yaml.append(indent).append("region: ").append(quote(s3.region())).append('\n');
			}
			if (s3.accessKeyId() != null) {
				yaml.append(indent).append("access-key-id: ").append(quote(s3.accessKeyId())).append('\n');
				yaml.append(indent).append("secret-access-key: ").append(quote(s3.secretAccessKey())).append('\n');
			}
		}
		this.replicaOptions.forEach((key, value) -> yaml.append(indent).append(key).append(": ").append(value).append('\n'));
		return yaml.toString();
	}

	/** Writes {@link #toYaml()} to {@code file}. */
	public Path writeTo(Path file) throws IOException {
		return Files.writeString(file, toYaml(), StandardCharsets.UTF_8);
	}

	private LitestreamConfig dbOption(String key, String value) {
		this.dbOptions.put(key, value);
		return this;
	}

	private LitestreamConfig replicaOption(String key, String value) {
		this.replicaOptions.put(key, value);
		return this;
	}

	/** Formats a duration the way Go's {@code time.ParseDuration} reads it, e.g. {@code 100ms}. */
	static String goDuration(Duration duration) {
		long millis = duration.toMillis();
		if (millis == 0 && !duration.isZero()) {
			return duration.toNanos() + "ns";
		}
		return (millis % 1000 == 0) ? (millis / 1000) + "s" : millis + "ms";
	}

	/**
	 * A YAML double-quoted scalar. Litestream expands {@code $VAR} in the file before parsing,
	 * so a literal {@code $} in a value would need {@code -no-expand-env}; tests do not use one.
	 */
	static String quote(String value) {
		Objects.requireNonNull(value, "YAML value");
		return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
	}

	/**
	 * An S3-compatible replica target. {@code endpoint} (e.g. {@code http://127.0.0.1:9000})
	 * turns on path-style addressing; {@code path}, {@code region}, and the credentials may be
	 * {@code null} to use Litestream's defaults.
	 */
	public record S3Replica(String bucket, String path, String endpoint, String region, String accessKeyId,
			String secretAccessKey) {

		public S3Replica {
			Objects.requireNonNull(bucket, "bucket");
			if ((accessKeyId == null) != (secretAccessKey == null)) {
				throw new IllegalArgumentException("Give both access-key-id and secret-access-key, or neither");
			}
		}

	}

}
