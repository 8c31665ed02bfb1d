package io.github.litestreamspring.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

import io.github.litestreamspring.engine.lease.LeaseOptions;
import io.github.litestreamspring.engine.replication.ReplicaOptions;
import io.github.litestreamspring.engine.replication.Replicator;
import io.github.litestreamspring.engine.lease.WriteGate;
import io.github.litestreamspring.engine.db.DatabaseOptions;
import io.github.litestreamspring.engine.follower.FollowerOptions;
import io.github.litestreamspring.engine.restore.RestoreOptions;

/**
 * Configuration of Litestream-compatible replication of the application's SQLite databases. The
 * databases are one list: the DataSource's first ({@code path}, {@code metaPath} and {@code replicas}
 * here are its shorthand), then each of {@code databases}; every other setting applies to all of them.
 */
@ConfigurationProperties("litestream")
public class LitestreamProperties {

	/**
	 * Whether to replicate (and restore on startup) at all.
	 */
	private boolean enabled = true;

	/**
	 * Path of the SQLite database file. Derived from 'spring.datasource.url' when not set.
	 */
	private Path path;

	/**
	 * Directory for the engine's local state (generation, shadow WAL). Defaults to
	 * '.<database file name>-litestream' next to the database, as Litestream does.
	 */
	private Path metaPath;

	/**
	 * How often the WAL is checked for changes made outside this application. Must be positive.
	 */
	private Duration monitorInterval = DatabaseOptions.DEFAULT_MONITOR_INTERVAL;

	/**
	 * How long the engine's own connections wait for a database lock.
	 */
	private Duration busyTimeout = DatabaseOptions.DEFAULT_BUSY_TIMEOUT;

	/**
	 * Busy timeout set on every pooled application connection, so that the engine's brief write lock
	 * during checkpoints is waited out instead of failing with SQLITE_BUSY. Within it a locked database
	 * is retried every 20 µs for the first 20 ms, then every millisecond.
	 */
	private Duration applicationBusyTimeout = Duration.ofSeconds(5);

	/**
	 * After a commit, how long to wait for more commits so that they ship in one segment and one upload.
	 * Zero ships at once.
	 */
	private Duration commitWindow = Replicator.DEFAULT_COMMIT_WINDOW;

	/**
	 * How long LitestreamDurability waits for a commit to reach every replica before failing.
	 */
	private Duration durableTimeout = Duration.ofSeconds(10);

	/**
	 * Bound of the local shadow WAL (the copy of the WAL kept until every replica has it) for the current
	 * generation. When a replica lags so far behind (e.g. its store is unreachable) that the shadow WAL
	 * exceeds this size, the oldest files are deleted anyway: the replica resumes from a new snapshot when
	 * it is back, and health shows a warning until then. Zero disables the bound; negative sizes are
	 * rejected at startup.
	 */
	private DataSize shadowWalMaxSize = DataSize.ofBytes(Replicator.DEFAULT_SHADOW_WAL_MAX_BYTES);

	private final Checkpoint checkpoint = new Checkpoint();

	private final Restore restore = new Restore();

	private final Health health = new Health();

	private final Lease lease = new Lease();

	/**
	 * What this instance does with its databases: 'primary' replicates them to their replicas; 'follower'
	 * serves reads of a copy that it keeps restoring from the replicas, refuses writes, and never writes to
	 * a replica (see docs/follower.md).
	 */
	private Role role = Role.PRIMARY;

	private final Follower follower = new Follower();

	/**
	 * Replicas of the database. Each needs at least a 'url' (s3://bucket/path or file:///path).
	 */
	private List<Replica> replicas = new ArrayList<>();

	/**
	 * Further SQLite databases to replicate besides the application's DataSource, each with its own
	 * engine, local state and replicas. They are restored, replicated, verified, reported and held to
	 * backpressure like the DataSource's.
	 */
	private List<Database> databases = new ArrayList<>();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public Path getPath() {
		return this.path;
	}

	public void setPath(Path path) {
		this.path = path;
	}

	public Path getMetaPath() {
		return this.metaPath;
	}

	public void setMetaPath(Path metaPath) {
		this.metaPath = metaPath;
	}

	public Duration getMonitorInterval() {
		return this.monitorInterval;
	}

	public void setMonitorInterval(Duration monitorInterval) {
		this.monitorInterval = monitorInterval;
	}

	public Duration getBusyTimeout() {
		return this.busyTimeout;
	}

	public void setBusyTimeout(Duration busyTimeout) {
		this.busyTimeout = busyTimeout;
	}

	public Duration getApplicationBusyTimeout() {
		return this.applicationBusyTimeout;
	}

	public void setApplicationBusyTimeout(Duration applicationBusyTimeout) {
		this.applicationBusyTimeout = applicationBusyTimeout;
	}

	public Duration getCommitWindow() {
		return this.commitWindow;
	}

	public void setCommitWindow(Duration commitWindow) {
		this.commitWindow = commitWindow;
	}

	public DataSize getShadowWalMaxSize() {
		return this.shadowWalMaxSize;
	}

	public void setShadowWalMaxSize(DataSize shadowWalMaxSize) {
		this.shadowWalMaxSize = shadowWalMaxSize;
	}

	public Duration getDurableTimeout() {
		return this.durableTimeout;
	}

	public void setDurableTimeout(Duration durableTimeout) {
		this.durableTimeout = durableTimeout;
	}

	public Checkpoint getCheckpoint() {
		return this.checkpoint;
	}

	public Restore getRestore() {
		return this.restore;
	}

	public Health getHealth() {
		return this.health;
	}

	public Lease getLease() {
		return this.lease;
	}

	public List<Replica> getReplicas() {
		return this.replicas;
	}

	public List<Database> getDatabases() {
		return this.databases;
	}

	public void setDatabases(List<Database> databases) {
		this.databases = databases;
	}

	public void setReplicas(List<Replica> replicas) {
		this.replicas = replicas;
	}

	/**
	 * When the engine checkpoints the WAL into the database file.
	 */
	public static class Checkpoint {

		/**
		 * Run a PASSIVE checkpoint when the database has been idle this long and the WAL has frames.
		 * Zero disables it.
		 */
		private Duration interval = DatabaseOptions.DEFAULT_CHECKPOINT_INTERVAL;

		/**
		 * WAL size in pages after which a PASSIVE checkpoint runs: pages are copied back into the
		 * database file without blocking writers; the WAL keeps growing. At least 1.
		 */
		private int minPageCount = DatabaseOptions.DEFAULT_MIN_CHECKPOINT_PAGE_COUNT;

		/**
		 * WAL size in pages after which a RESTART checkpoint runs: writers wait briefly and the WAL
		 * starts over, so this bounds the WAL and sets how often a new WAL index begins. Zero disables it.
		 */
		private int maxPageCount = DatabaseOptions.DEFAULT_MAX_CHECKPOINT_PAGE_COUNT;

		/**
		 * WAL size in pages after which a TRUNCATE checkpoint runs and the WAL file is shrunk. Zero
		 * disables it.
		 */
		private int truncatePageCount = DatabaseOptions.DEFAULT_TRUNCATE_PAGE_COUNT;

		public Duration getInterval() {
			return this.interval;
		}

		public void setInterval(Duration interval) {
			this.interval = interval;
		}

		public int getMinPageCount() {
			return this.minPageCount;
		}

		public void setMinPageCount(int minPageCount) {
			this.minPageCount = minPageCount;
		}

		public int getMaxPageCount() {
			return this.maxPageCount;
		}

		public void setMaxPageCount(int maxPageCount) {
			this.maxPageCount = maxPageCount;
		}

		public int getTruncatePageCount() {
			return this.truncatePageCount;
		}

		public void setTruncatePageCount(int truncatePageCount) {
			this.truncatePageCount = truncatePageCount;
		}

	}

	/**
	 * Restore from the replicas when the application starts, before the connection pool opens.
	 */
	public static class Restore {

		/**
		 * Whether to restore the database from a replica on startup.
		 */
		private boolean enabled = true;

		/**
		 * Whether to skip the restore when the database file already exists. When false, an existing
		 * database makes startup fail.
		 */
		private boolean ifDbNotExists = true;

		/**
		 * Whether to start with an empty database when no replica holds a backup. When false, startup
		 * fails instead.
		 */
		private boolean ifReplicaExists = true;

		/**
		 * Restore the state as of this instant (RFC 3339, e.g. 2026-01-02T03:04:05Z) instead of the latest.
		 */
		private Instant timestamp;

		/**
		 * How many WAL segments are downloaded at once. At least 1.
		 */
		private int parallelism = RestoreOptions.DEFAULT_PARALLELISM;

		/**
		 * What to do when an existing local database and the replica each hold commits the other lacks
		 * (a fork: for example a pod back on an old volume with unshipped commits, while another
		 * instance wrote a newer generation): fail startup, keep the local database (it starts a new
		 * generation; the replica's newer commits stay restorable by generation only), or restore the
		 * replica's latest state (the local database is moved aside). A local database that the replica
		 * merely holds more of is always restored from the replica, unless this is 'local'.
		 */
		private OnDivergence onDivergence = OnDivergence.FAIL;

		public OnDivergence getOnDivergence() {
			return this.onDivergence;
		}

		public void setOnDivergence(OnDivergence onDivergence) {
			this.onDivergence = onDivergence;
		}

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public boolean isIfDbNotExists() {
			return this.ifDbNotExists;
		}

		public void setIfDbNotExists(boolean ifDbNotExists) {
			this.ifDbNotExists = ifDbNotExists;
		}

		public boolean isIfReplicaExists() {
			return this.ifReplicaExists;
		}

		public void setIfReplicaExists(boolean ifReplicaExists) {
			this.ifReplicaExists = ifReplicaExists;
		}

		public Instant getTimestamp() {
			return this.timestamp;
		}

		public void setTimestamp(Instant timestamp) {
			this.timestamp = timestamp;
		}

		public int getParallelism() {
			return this.parallelism;
		}

		public void setParallelism(int parallelism) {
			this.parallelism = parallelism;
		}

	}

	/** What startup does when the local database and the replica diverge. */
	public enum OnDivergence {

		/** Fail startup, naming both positions. */
		FAIL,

		/** Keep the local database; it starts a new generation. */
		LOCAL,

		/** Move the local database aside and restore the replica's latest state. */
		REPLICA

	}

	public Role getRole() {
		return this.role;
	}

	public void setRole(Role role) {
		this.role = role;
	}

	public Follower getFollower() {
		return this.follower;
	}

	/**
	 * What an instance does with its databases ('litestream.role').
	 */
	public enum Role {

		/** Replicate the databases to their replicas (the single writer of each replica path). */
		PRIMARY,
		/** Serve reads of copies kept up to date from the replicas; refuse writes; never write to a replica. */
		FOLLOWER

	}

	/**
	 * How a follower ('litestream.role=follower') keeps its copies up to date.
	 */
	public static class Follower {

		/**
		 * How often the replica is listed for new WAL (one listing per database per interval, no download
		 * when nothing changed).
		 */
		private Duration pollInterval = FollowerOptions.DEFAULT_POLL_INTERVAL;

		/**
		 * How stale the follower's data may be before its health is DOWN: the time since the oldest replica
		 * object it has not applied was written, or since it last saw the replica hold nothing newer.
		 */
		private Duration maxLag = Duration.ofSeconds(10);

		public Duration getPollInterval() {
			return this.pollInterval;
		}

		public void setPollInterval(Duration pollInterval) {
			this.pollInterval = pollInterval;
		}

		public Duration getMaxLag() {
			return this.maxLag;
		}

		public void setMaxLag(Duration maxLag) {
			this.maxLag = maxLag;
		}

	}

	/**
	 * How the 'litestream' health indicator judges replication.
	 */
	public static class Health {

		/**
		 * How long a replica may stay behind the local database before health is DOWN.
		 */
		private Duration maxLag = Duration.ofMinutes(1);

		public Duration getMaxLag() {
			return this.maxLag;
		}

		public void setMaxLag(Duration maxLag) {
			this.maxLag = maxLag;
		}

	}

	/**
	 * The single-writer guard: a lease object ('lease.json') on each replica path, taken before the
	 * first upload, so that two instances never write the same path.
	 */
	public static class Lease {

		/**
		 * Whether to take a lease on each replica path before writing to it.
		 */
		private boolean enabled = true;

		/**
		 * How long a lease stays valid without renewal; it is renewed every third of it. Another instance
		 * takes over a lease it has seen unchanged for this long (a crashed holder). At least 300ms.
		 */
		private Duration ttl = LeaseOptions.DEFAULT_TTL;

		/**
		 * What a starting instance does when another live instance holds a replica path, before its
		 * connection pool opens: 'wait' asks the holder to hand the lease over (it stops writing, ships
		 * everything and hands over; a crashed holder's lease is taken over after a TTL) and waits for it
		 * up to 'acquire-timeout'; 'fail' makes startup fail at once naming the holder.
		 */
		private LeaseOptions.OnConflict onConflict = LeaseOptions.OnConflict.WAIT;

		/**
		 * How long a starting instance waits for the leases (a hand-over, or a crashed holder's lease
		 * expiring) before startup fails naming the holder. Size the Kubernetes startup probe for it.
		 */
		private Duration acquireTimeout = Duration.ofMinutes(2);

		/**
		 * How long the database must go without a change before the holder makes its leases idle (counted
		 * from the idle database's checkpoint, 'litestream.checkpoint.interval' after the last write, when
		 * one is still to come): it ships everything, writes each lease as idle with that position and
		 * renews it only every third of 'idle-ttl'. A starting instance takes an idle lease at once (no hand-over needed); the next
		 * write first makes the lease active again (one request). 0 keeps leases active at all times.
		 */
		private Duration idleAfter = Duration.ofMinutes(1);

		/**
		 * The TTL of an idle lease: renewed every third of it (every 100 s at the default, 0.6 requests a
		 * minute), and taken over by an instance that is not starting (one that does not ask for a
		 * hand-over) only after it has seen the lease unchanged for this long. At least 'ttl'. Default: 5m,
		 * or 'ttl' if that is longer.
		 */
		private Duration idleTtl;

		public Duration getIdleAfter() {
			return this.idleAfter;
		}

		public void setIdleAfter(Duration idleAfter) {
			this.idleAfter = idleAfter;
		}

		public Duration getIdleTtl() {
			return this.idleTtl;
		}

		public void setIdleTtl(Duration idleTtl) {
			this.idleTtl = idleTtl;
		}

		public Duration getAcquireTimeout() {
			return this.acquireTimeout;
		}

		public void setAcquireTimeout(Duration acquireTimeout) {
			this.acquireTimeout = acquireTimeout;
		}

		/**
		 * How long a write transaction waits while writes are paused for a lease hand-over before it
		 * fails with a java.sql.SQLTransientException (retry it). Reads are never paused.
		 */
		private Duration handoverWriteTimeout = WriteGate.DEFAULT_PAUSE_TIMEOUT;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Duration getTtl() {
			return this.ttl;
		}

		public void setTtl(Duration ttl) {
			this.ttl = ttl;
		}

		public LeaseOptions.OnConflict getOnConflict() {
			return this.onConflict;
		}

		public void setOnConflict(LeaseOptions.OnConflict onConflict) {
			this.onConflict = onConflict;
		}

		public Duration getHandoverWriteTimeout() {
			return this.handoverWriteTimeout;
		}

		public void setHandoverWriteTimeout(Duration handoverWriteTimeout) {
			this.handoverWriteTimeout = handoverWriteTimeout;
		}

	}

	/**
	 * A further database replicated beside the application's DataSource.
	 */
	public static class Database {

		/**
		 * Name of the database: the 'database' tag of its metrics and observations, and how the
		 * command-line tool chooses it ('-database NAME'). Defaults to the database file's name.
		 */
		private String name;

		/**
		 * Path of the SQLite database file.
		 */
		private Path path;

		/**
		 * Directory for the engine's local state. Defaults to '.<database file name>-litestream' next to
		 * the database.
		 */
		private Path metaPath;

		/**
		 * Replicas of this database; each replica path must differ from every other database's.
		 */
		private List<Replica> replicas = new ArrayList<>();

		public String getName() {
			return this.name;
		}

		public void setName(String name) {
			this.name = name;
		}

		public Path getPath() {
			return this.path;
		}

		public void setPath(Path path) {
			this.path = path;
		}

		public Path getMetaPath() {
			return this.metaPath;
		}

		public void setMetaPath(Path metaPath) {
			this.metaPath = metaPath;
		}

		public List<Replica> getReplicas() {
			return this.replicas;
		}

		public void setReplicas(List<Replica> replicas) {
			this.replicas = replicas;
		}

	}

	/**
	 * One replica of the database.
	 */
	public static class Replica {

		/**
		 * Where the replica lives: s3://bucket/path (also Litestream's host forms such as
		 * bucket.localhost:9000 or bucket.s3.region.backblazeb2.com) or file:///absolute/path.
		 */
		private String url;

		/**
		 * Name of the replica, unique per database. Defaults to the URL scheme ('s3', 'file').
		 */
		private String name;

		/**
		 * Longest time between two uploads while the database changes.
		 */
		private Duration syncInterval = ReplicaOptions.DEFAULT_SYNC_INTERVAL;

		/**
		 * Cost ceiling of a short sync interval: at most this many uploads to this replica start per
		 * second, evenly spaced. A commit after a quiet spell is still shipped at once; under load, commits
		 * made while no upload may start are shipped together by the next one, so a commit waits at most
		 * about 1s divided by this value more. Only matters when 'sync-interval' is shorter than that; 0 for
		 * no ceiling.
		 */
		private int maxUploadsPerSecond = ReplicaOptions.DEFAULT_MAX_UPLOADS_PER_SECOND;

		/**
		 * How often a new snapshot is taken. Zero takes one only when a generation starts.
		 */
		private Duration snapshotInterval = ReplicaOptions.DEFAULT_SNAPSHOT_INTERVAL;

		/**
		 * How long snapshots and WAL are kept. Zero keeps everything.
		 */
		private Duration retention = ReplicaOptions.DEFAULT_RETENTION;

		/**
		 * How often retention is enforced.
		 */
		private Duration retentionCheckInterval = ReplicaOptions.DEFAULT_RETENTION_CHECK_INTERVAL;

		/**
		 * S3 endpoint URL for S3-compatible stores (MinIO, R2, ...). Overrides
		 * 'spring.cloud.aws.s3.endpoint' for this replica.
		 */
		private String endpoint;

		/**
		 * S3 region. Overrides 'spring.cloud.aws.region.static' for this replica.
		 */
		private String region;

		/**
		 * Whether to use path-style S3 addressing. Defaults to true when an endpoint is set.
		 */
		private Boolean forcePathStyle;

		/**
		 * S3 access key id for this replica. When not set, the application's S3 client or the AWS default
		 * credential chain is used.
		 */
		private String accessKeyId;

		/**
		 * S3 secret access key for this replica.
		 */
		private String secretAccessKey;

		/**
		 * Whether to skip TLS certificate verification (self-signed test stores only).
		 */
		private boolean skipVerify;

		/**
		 * Name of the SSL bundle ('spring.ssl.bundle.*') whose trust material (and key material, for
		 * a client certificate) this replica's S3 client uses for TLS.
		 */
		private String sslBundle;

		/**
		 * S3 server-side encryption: 'none', 'aes256' (SSE-S3), 'kms' (SSE-KMS) or 'customer' (SSE-C).
		 */
		private String sse = "none";

		/**
		 * KMS key id for SSE-KMS.
		 */
		private String sseKmsKeyId;

		/**
		 * Base64-encoded 256-bit key for SSE-C.
		 */
		private String sseCustomerKey;

		/**
		 * S3 storage class of uploaded objects, e.g. STANDARD_IA.
		 */
		private String storageClass;

		/**
		 * Part size of multipart uploads (large snapshots). At least 5MB.
		 */
		private DataSize partSize = DataSize.ofMegabytes(8);

		/**
		 * Byte-range GETs in flight when a large snapshot is restored from S3, each of 8MB. A snapshot starts
		 * as one GET and continues in ranges only if that GET delivers its first 8MB slower than 200 MB/s; 0 or
		 * 1 always downloads it with a single GET. At most 32.
		 */
		private int snapshotDownloadParallelism = 4;

		public String getUrl() {
			return this.url;
		}

		public void setUrl(String url) {
			this.url = url;
		}

		public String getName() {
			return this.name;
		}

		public void setName(String name) {
			this.name = name;
		}

		public Duration getSyncInterval() {
			return this.syncInterval;
		}

		public void setSyncInterval(Duration syncInterval) {
			this.syncInterval = syncInterval;
		}

		public int getMaxUploadsPerSecond() {
			return this.maxUploadsPerSecond;
		}

		public void setMaxUploadsPerSecond(int maxUploadsPerSecond) {
			this.maxUploadsPerSecond = maxUploadsPerSecond;
		}

		public Duration getSnapshotInterval() {
			return this.snapshotInterval;
		}

		public void setSnapshotInterval(Duration snapshotInterval) {
			this.snapshotInterval = snapshotInterval;
		}

		public Duration getRetention() {
			return this.retention;
		}

		public void setRetention(Duration retention) {
			this.retention = retention;
		}

		public Duration getRetentionCheckInterval() {
			return this.retentionCheckInterval;
		}

		public void setRetentionCheckInterval(Duration retentionCheckInterval) {
			this.retentionCheckInterval = retentionCheckInterval;
		}

		public String getEndpoint() {
			return this.endpoint;
		}

		public void setEndpoint(String endpoint) {
			this.endpoint = endpoint;
		}

		public String getRegion() {
			return this.region;
		}

		public void setRegion(String region) {
			this.region = region;
		}

		public Boolean getForcePathStyle() {
			return this.forcePathStyle;
		}

		public void setForcePathStyle(Boolean forcePathStyle) {
			this.forcePathStyle = forcePathStyle;
		}

		public String getAccessKeyId() {
			return this.accessKeyId;
		}

		public void setAccessKeyId(String accessKeyId) {
			this.accessKeyId = accessKeyId;
		}

		public String getSecretAccessKey() {
			return this.secretAccessKey;
		}

		public void setSecretAccessKey(String secretAccessKey) {
			this.secretAccessKey = secretAccessKey;
		}

		public boolean isSkipVerify() {
			return this.skipVerify;
		}

		public void setSkipVerify(boolean skipVerify) {
			this.skipVerify = skipVerify;
		}

		public String getSslBundle() {
			return this.sslBundle;
		}

		public void setSslBundle(String sslBundle) {
			this.sslBundle = sslBundle;
		}

		public String getSse() {
			return this.sse;
		}

		public void setSse(String sse) {
			this.sse = sse;
		}

		public String getSseKmsKeyId() {
			return this.sseKmsKeyId;
		}

		public void setSseKmsKeyId(String sseKmsKeyId) {
			this.sseKmsKeyId = sseKmsKeyId;
		}

		public String getSseCustomerKey() {
			return this.sseCustomerKey;
		}

		public void setSseCustomerKey(String sseCustomerKey) {
			this.sseCustomerKey = sseCustomerKey;
		}

		public String getStorageClass() {
			return this.storageClass;
		}

		public void setStorageClass(String storageClass) {
			this.storageClass = storageClass;
		}

		public DataSize getPartSize() {
			return this.partSize;
		}

		public void setPartSize(DataSize partSize) {
			this.partSize = partSize;
		}

		public int getSnapshotDownloadParallelism() {
			return this.snapshotDownloadParallelism;
		}

		public void setSnapshotDownloadParallelism(int snapshotDownloadParallelism) {
			this.snapshotDownloadParallelism = snapshotDownloadParallelism;
		}

	}


	// ---- restore verification and backpressure ----------------------------------------------------

	private final Verification verification = new Verification();

	private final Backpressure backpressure = new Backpressure();

	public Verification getVerification() {
		return this.verification;
	}

	public Backpressure getBackpressure() {
		return this.backpressure;
	}

	/**
	 * Automated restore tests: restore every replica as of a position into a scratch file and compare it
	 * with the live database at that position (also on demand: POST /actuator/litestream/verify).
	 */
	public static class Verification {

		/**
		 * How often to verify that the replicas restore to the live database's contents. Zero (the
		 * default) verifies only on demand. Each run downloads the whole backup from every replica.
		 */
		private Duration interval = Duration.ZERO;

		/**
		 * Directory for the scratch restores (a fresh subdirectory per run, removed afterwards). Defaults
		 * to a hidden directory next to the database, whose disk has room for a copy.
		 */
		private Path scratchDir;

		public Duration getInterval() {
			return this.interval;
		}

		public void setInterval(Duration interval) {
			this.interval = interval;
		}

		public Path getScratchDir() {
			return this.scratchDir;
		}

		public void setScratchDir(Path scratchDir) {
			this.scratchDir = scratchDir;
		}

	}

	/**
	 * What happens to application writes when replication falls behind a limit.
	 */
	public static class Backpressure {

		/**
		 * How long a replica may be behind the local database before the policy applies. Unset: no time
		 * limit.
		 */
		private Duration maxLag;

		/**
		 * How many WAL bytes a replica may be behind before the policy applies. Unset: no size limit.
		 */
		private DataSize maxLagBytes;

		/**
		 * What to do above a limit: 'degrade' accepts writes and reports health DOWN with the reason;
		 * 'throttle' delays each new write transaction (up to 'max-throttle') until replication is back
		 * under the limit; 'fail' rejects new write transactions with an SQLException naming the lag.
		 */
		private Policy policy = Policy.DEGRADE;

		/**
		 * Longest delay 'throttle' puts on one write before letting it through anyway.
		 */
		private Duration maxThrottle = Duration.ofSeconds(5);

		public Duration getMaxLag() {
			return this.maxLag;
		}

		public void setMaxLag(Duration maxLag) {
			this.maxLag = maxLag;
		}

		public DataSize getMaxLagBytes() {
			return this.maxLagBytes;
		}

		public void setMaxLagBytes(DataSize maxLagBytes) {
			this.maxLagBytes = maxLagBytes;
		}

		public Policy getPolicy() {
			return this.policy;
		}

		public void setPolicy(Policy policy) {
			this.policy = policy;
		}

		public Duration getMaxThrottle() {
			return this.maxThrottle;
		}

		public void setMaxThrottle(Duration maxThrottle) {
			this.maxThrottle = maxThrottle;
		}

		/** What happens to writes while replication is behind a limit. */
		public enum Policy {

			/** Accept writes; report health DOWN with the reason. */
			DEGRADE,
			/** Delay new write transactions, bounded by 'max-throttle'. */
			THROTTLE,
			/** Reject new write transactions with an SQLException. */
			FAIL

		}

	}


	// ---- SQLite library ----------------------------------------------------------------------------

	private final Sqlite sqlite = new Sqlite();

	public Sqlite getSqlite() {
		return this.sqlite;
	}

	/**
	 * The SQLite library in the sqlite-jdbc driver on the class path.
	 */
	public static class Sqlite {

		/**
		 * Whether to start replication on a SQLite version with the WAL-reset bug (3.7.0 to 3.51.2), which
		 * can corrupt the database when the engine's checkpoint and the application write at the same
		 * time. Start-up fails on such a version unless this is true; upgrade sqlite-jdbc instead.
		 */
		private boolean acceptWalResetBug;

		public boolean isAcceptWalResetBug() {
			return this.acceptWalResetBug;
		}

		public void setAcceptWalResetBug(boolean acceptWalResetBug) {
			this.acceptWalResetBug = acceptWalResetBug;
		}

	}

}
