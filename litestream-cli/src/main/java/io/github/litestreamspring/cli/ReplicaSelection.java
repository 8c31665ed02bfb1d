package io.github.litestreamspring.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

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

	private static final Pattern URL = Pattern.compile("^\\w+://");

	@Spec(Spec.Target.MIXEE)
	CommandSpec spec;

	@Option(names = { "-config", "--config" }, paramLabel = "FILE",
			description = "The application's application.yml or .properties (or a directory holding it), read as "
					+ "spring.config.location; environment variables override it.")
	Path config;

	@Option(names = { "-profile", "--profile", "--spring.profiles.active" }, paramLabel = "NAME",
			description = "Activate a Spring profile (repeatable or comma-separated), as "
					+ "--spring.profiles.active does for the application; replaces SPRING_PROFILES_ACTIVE.")
	List<String> profiles = new ArrayList<>();

	@Option(names = { "-no-expand-env", "--no-expand-env" },
			description = "Do not resolve $${...} placeholders in the configuration file (Litestream's flag).")
	boolean noExpandEnv;

	@Option(names = { "-database", "--database" }, paramLabel = "NAME",
			description = "With -config: the database named NAME (litestream.databases[].name, else the file's "
					+ "name, e.g. app.db) instead of a DB_PATH; for restore also the default output.")
	String databaseName;

	@Option(names = { "-replica", "--replica" }, paramLabel = "NAME",
			description = "Use only the replica with this name (default: all; restore picks the newest backup). "
					+ "Ignored with a REPLICA_URL, as in Litestream.")
	String replicaName;

	@Parameters(index = "0", arity = "0..1", paramLabel = "REPLICA_URL|DB_PATH",
			description = "s3://bucket/path or file:///path instead of -config; or, with -config, the path of "
					+ "one of the configured databases (default: the application's).")
	String url;

	@Option(names = { "--endpoint" }, paramLabel = "URL",
			description = "S3-compatible endpoint for REPLICA_URL, e.g. http://minio:9000.")
	String endpoint;

	@Option(names = { "--region" }, paramLabel = "REGION", description = "S3 region for REPLICA_URL.")
	String region;

	@Option(names = { "--force-path-style" }, description = "Path-style S3 addressing for REPLICA_URL.")
	Boolean forcePathStyle;

	/** Read once per command: a restore without -o needs it for the output path and for the replicas. */
	private CliConfiguration configuration;

	boolean usesConfig() {
		return this.config != null;
	}

	/** The positional argument when it is a database path (with -config), as Litestream tells them apart. */
	Optional<Path> databaseArgument() {
		return (this.url != null && !isUrl(this.url)) ? Optional.of(Path.of(this.url).toAbsolutePath().normalize())
				: Optional.empty();
	}

	/**
	 * With -config, the database a command works on: the one named by {@code -database} or by the
	 * positional path, else the application's.
	 */
	ConfiguredDatabases.Database database(CliConfiguration configuration) {
		ConfiguredDatabases databases = ConfiguredDatabases.of(configuration);
		if (this.databaseName != null) {
			return databases.byName(this.databaseName);
		}
		return databaseArgument().map(databases::byPath).orElseGet(databases::main);
	}

	/**
	 * Fails with a usage error (exit code 2) unless the replicas come from exactly one of -config and a
	 * REPLICA_URL; a database path is taken with -config only.
	 */
	void validate() {
		if (this.url != null && isUrl(this.url) == (this.config != null)) {
			throw new ParameterException(this.spec.commandLine(), isUrl(this.url)
					? "give either -config FILE or a REPLICA_URL (s3://bucket/path or file:///path), not both"
					: "the database path " + this.url + " needs -config FILE (the application's configuration; "
							+ "this tool does not read litestream.yml), or give a REPLICA_URL");
		}
		if (this.url == null && this.config == null) {
			throw new ParameterException(this.spec.commandLine(),
					"give either -config FILE or a REPLICA_URL (s3://bucket/path or file:///path)");
		}
		if (this.databaseName != null && (this.config == null || databaseArgument().isPresent())) {
			throw new ParameterException(this.spec.commandLine(), (this.config == null)
					? "-database NAME needs -config FILE (the application's configuration)"
					: "give either -database NAME or a DB_PATH, not both");
		}
		if (this.config != null && (this.endpoint != null || this.region != null || this.forcePathStyle != null)) {
			throw new ParameterException(this.spec.commandLine(), "--endpoint, --region and --force-path-style "
					+ "apply to a REPLICA_URL; with -config set them in the configuration");
		}
	}

	/**
	 * The configuration (file and environment, or environment only with a replica URL), read on the first
	 * call; a command's environment does not change while it runs.
	 */
	CliConfiguration configuration(Map<String, String> env) {
		if (this.configuration == null) {
			this.configuration = CliConfiguration.load(this.config, env, this.profiles, !this.noExpandEnv);
		}
		return this.configuration;
	}

	/**
	 * Opens the selected replicas; the caller closes them.
	 * @param database the database the replicas belong to (only used for file permissions); may be {@code null}
	 */
	OpenReplicas open(Map<String, String> env, Path database) {
		validate();
		CliConfiguration configuration = configuration(env);
		if (this.config != null) {
			ConfiguredDatabases.Database selected = database(configuration);
			return OpenReplicas.open(selected.replicas(), selected.property(), configuration, database,
					this.replicaName, true);
		}
		if (this.replicaName != null) {
			this.spec.commandLine().getErr().println("note: -replica applies to -config; ignored with a REPLICA_URL");
		}
		return OpenReplicas.open(List.of(urlReplica(env)), "REPLICA_URL", configuration, database, null, false);
	}

	/** Litestream's test: a scheme followed by "://". */
	static boolean isUrl(String argument) {
		return URL.matcher(argument).find();
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
