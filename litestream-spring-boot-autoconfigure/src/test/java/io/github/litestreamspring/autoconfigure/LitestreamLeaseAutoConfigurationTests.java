package io.github.litestreamspring.autoconfigure;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import io.github.litestreamspring.health.LitestreamHealthIndicator;
import io.github.litestreamspring.engine.lease.LeaseOptions;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;

import static org.assertj.core.api.Assertions.assertThat;
import io.github.litestreamspring.lifecycle.LitestreamReplication;

/** The single-writer guard through Spring: properties, defaults, health while waiting, fail-fast startup. */
class LitestreamLeaseAutoConfigurationTests {

	@TempDir
	Path dir;

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LitestreamAutoConfiguration.class, LitestreamHealthContributorAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica"),
					"litestream.replicas[0].sync-interval=50ms", "litestream.monitor-interval=50ms");
	}

	@Test
	void leaseIsOnByDefaultWithAThirtySecondTtlAndWaits() {
		runner().run((context) -> {
			LitestreamProperties.Lease lease = context.getBean(LitestreamProperties.class).getLease();
			// Idle after a quiet minute, then renewed every 100 s (issue #16: idle requests).
			assertThat(LitestreamAutoConfiguration.leaseOptions(lease))
				.isEqualTo(LeaseOptions.enabled(Duration.ofSeconds(30), LeaseOptions.OnConflict.WAIT)
					.withIdle(Duration.ofMinutes(1), Duration.ofMinutes(5)));
			assertThat(lease.getTtl()).isEqualTo(LeaseOptions.DEFAULT_TTL);
			// Started with the context: the lease object is in the replica root, outside generations/.
			assertThat(new FileReplicaClient(this.dir.resolve("replica")).readLease()).isPresent();
		});
	}

	@Test
	void bindsLeaseProperties() {
		runner().withPropertyValues("litestream.lease.ttl=5s", "litestream.lease.on-conflict=fail",
				"litestream.lease.idle-after=20s", "litestream.lease.idle-ttl=2m").run((context) -> {
			LitestreamProperties.Lease lease = context.getBean(LitestreamProperties.class).getLease();
			assertThat(LitestreamAutoConfiguration.leaseOptions(lease))
				.isEqualTo(LeaseOptions.enabled(Duration.ofSeconds(5), LeaseOptions.OnConflict.FAIL)
					.withIdle(Duration.ofSeconds(20), Duration.ofMinutes(2)));
		});
		runner().withPropertyValues("litestream.lease.idle-after=0").run((context) -> {
			LitestreamProperties.Lease lease = context.getBean(LitestreamProperties.class).getLease();
			assertThat(LitestreamAutoConfiguration.leaseOptions(lease).idleAfter()).isNull();
		});
		// A TTL raised past the idle TTL's default raises that too, rather than failing the start.
		runner().withPropertyValues("litestream.lease.ttl=10m").run((context) -> {
			LitestreamProperties.Lease lease = context.getBean(LitestreamProperties.class).getLease();
			assertThat(LitestreamAutoConfiguration.leaseOptions(lease).idleTtl()).isEqualTo(Duration.ofMinutes(10));
		});
	}

	@Test
	void aNegativeIdleAfterFailsStartupNamingTheProperty() {
		runner().withPropertyValues("litestream.lease.idle-after=-1s").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(LitestreamConfigurationException.class)
				.hasMessageContaining("idle-after must not be negative")
				.satisfies((ex) -> assertThat(((LitestreamConfigurationException) ex).getProperty())
					.isEqualTo("litestream.lease.idle-after"));
		});
	}

	@Test
	void anIdleTtlShorterThanTheTtlFailsStartupNamingTheProperty() {
		runner().withPropertyValues("litestream.lease.idle-ttl=10s").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("idle-ttl (PT10S) must be at least the ttl (PT30S)");
		});
	}

	@Test
	void disabledLeaseWritesNoLeaseObject() {
		runner().withPropertyValues("litestream.lease.enabled=false").run((context) -> {
			write(context.getBean(DataSource.class));
			context.getBean(LitestreamReplication.class).replicator().syncNow();
			assertThat(Files.exists(this.dir.resolve("replica/generations"))).isTrue();
			assertThat(Files.exists(this.dir.resolve("replica/lease.json"))).isFalse();
		});
	}

	@Test
	void tooShortTtlFailsStartupNamingTheProperty() {
		runner().withPropertyValues("litestream.lease.ttl=10ms").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("at least 300ms");
		});
	}

	/**
	 * Until #14 an instance started beside a live holder and accepted writes it could never ship (health
	 * DOWN, "waiting for the lease"); those writes were lost when it later took the lease. Now it asks the
	 * holder to hand over before its pool opens, and a holder that never answers (here: a lease written by
	 * hand, as an older version or a stuck instance would leave it) makes the start fail after
	 * {@code litestream.lease.acquire-timeout}, naming it, without having accepted a single write.
	 */
	@Test
	void aStartBesideAHolderThatNeverHandsOverFailsAfterTheAcquireTimeoutNamingIt() throws Exception {
		foreignLease("other0instance00", Duration.ofMinutes(5));
		long started = System.nanoTime();
		runner().withPropertyValues("litestream.lease.acquire-timeout=2s").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("was not ours within PT2S")
				.hasMessageContaining("other0instance00")
				.hasMessageContaining("host other-host")
				.hasMessageContaining("litestream.lease.acquire-timeout");
			assertThat(Files.exists(this.dir.resolve("replica/generations"))).isFalse();
			// The hand-over request is in the holder's lease, for the holder to answer.
			assertThat(Files.readString(this.dir.resolve("replica/lease.json"))).contains("\"handoverTo\"");
		});
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
	}

	@Test
	void failPolicyFailsStartupNamingTheHolder() throws Exception {
		foreignLease("other0instance00", Duration.ofMinutes(5));
		runner().withPropertyValues("litestream.lease.on-conflict=fail").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("is held by another instance")
				.hasMessageContaining("other0instance00");
		});
	}

	/** Another instance's live lease, as it would have written it. */
	private void foreignLease(String owner, Duration ttl) throws Exception {
		Instant now = Instant.now();
		String json = "{\"owner\":\"" + owner + "\",\"host\":\"other-host\",\"pid\":99,\"acquiredAt\":\"" + now
				+ "\",\"renewedAt\":\"" + now + "\",\"expiresAt\":\"" + now.plus(ttl) + "\",\"ttlMillis\":"
				+ ttl.toMillis() + ",\"released\":false}";
		assertThat(new FileReplicaClient(this.dir.resolve("replica")).createLease(json.getBytes(StandardCharsets.UTF_8)))
			.isNotNull();
	}

	private static void write(DataSource dataSource) throws Exception {
		try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
			st.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)");
			st.execute("INSERT INTO notes (body) VALUES ('x')");
		}
	}

}
