package io.github.litestreamspring.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import io.github.litestreamspring.autoconfigure.LitestreamProperties;

/**
 * Where the replicas come from, shared by every command: the application's configuration file
 * ({@code -config}) or one bare replica URL with optional S3 connection flags. As in Litestream, the
 * two are exclusive.
 */
final class ReplicaSelection {

	@Spec(Spec.Target.MIXEE)
	CommandSpec spec;

	@Option(names = { "-config", "--config" }, paramLabel = "FILE",
			description = "The application's application.yml or .properties; environment variables override it.")
	Path config;

	@Option(names = { "-profile", "--profile" }, paramLabel = "NAME",
			description = "Activate a Spring profile of the configuration file (repeatable).")
	List<String> profiles = new ArrayList<>();

	@Option(names = { "-replica", "--replica" }, paramLabel = "NAME",
			description = "Use only the replica with this name (default: all; restore picks the newest backup).")
	String replicaName;

	@Parameters(index = "0", arity = "0..1", paramLabel = "REPLICA_URL",
			description = "s3://bucket/path or file:///path, instead of -config.")
	String url;

	@Option(names = { "--endpoint" }, paramLabel = "URL",
			description = "S3-compatible endpoint for REPLICA_URL, e.g. http://minio:9000.")
	String endpoint;

	@Option(names = { "--region" }, paramLabel = "REGION", description = "S3 region for REPLICA_URL.")
	String region;

	@Option(names = { "--force-path-style" }, description = "Path-style S3 addressing for REPLICA_URL.")
	Boolean forcePathStyle;

	boolean usesConfig() {
		return this.config != null;
	}

	/** Fails with a usage error (exit code 2) unless exactly one of -config and REPLICA_URL is given. */
	void validate() {
		if ((this.config == null) == (this.url == null)) {
			throw new ParameterException(this.spec.commandLine(),
					"give either -config FILE or a REPLICA_URL (s3://bucket/path or file:///path), not both");
		}
		if (this.config != null && (this.endpoint != null || this.region != null || this.forcePathStyle != null)) {
			throw new ParameterException(this.spec.commandLine(), "--endpoint, --region and --force-path-style "
					+ "apply to a REPLICA_URL; with -config set them in the configuration");
		}
	}

	/** The configuration (file and environment, or environment only with a replica URL). */
	CliConfiguration configuration(Map<String, String> env) {
		return CliConfiguration.load(this.config, env, this.profiles);
	}

	/**
	 * Opens the selected replicas; the caller closes them.
	 * @param database the database the replicas belong to (only used for file permissions); may be {@code null}
	 */
	OpenReplicas open(Map<String, String> env, Path database) {
		validate();
		CliConfiguration configuration = configuration(env);
		List<LitestreamProperties.Replica> replicas;
		if (this.config != null) {
			replicas = configuration.litestream().getReplicas();
		}
		else {
			replicas = List.of(urlReplica(env));
		}
		return OpenReplicas.open(replicas, configuration, database, this.replicaName, this.config != null);
	}

	/**
	 * A replica for the bare URL. Credentials come from the environment as the real Litestream takes
	 * them ({@code LITESTREAM_ACCESS_KEY_ID}/{@code LITESTREAM_SECRET_ACCESS_KEY}), else from the AWS
	 * SDK's default chain ({@code AWS_ACCESS_KEY_ID}, profiles, instance roles).
	 */
	private LitestreamProperties.Replica urlReplica(Map<String, String> env) {
		LitestreamProperties.Replica replica = new LitestreamProperties.Replica();
		replica.setUrl(this.url);
		replica.setEndpoint(this.endpoint);
		replica.setRegion(this.region);
		replica.setForcePathStyle(this.forcePathStyle);
		String accessKeyId = env.get("LITESTREAM_ACCESS_KEY_ID");
		String secretAccessKey = env.get("LITESTREAM_SECRET_ACCESS_KEY");
		if (accessKeyId != null && secretAccessKey != null) {
			replica.setAccessKeyId(accessKeyId);
			replica.setSecretAccessKey(secretAccessKey);
		}
		return replica;
	}

}
