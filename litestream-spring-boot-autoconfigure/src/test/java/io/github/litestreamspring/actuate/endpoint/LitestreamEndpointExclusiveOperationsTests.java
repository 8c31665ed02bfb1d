package io.github.litestreamspring.actuate.endpoint;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointAutoConfiguration;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.InvocationContext;
import org.springframework.boot.actuate.endpoint.OperationType;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.web.ExposableWebEndpoint;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.WebEndpointsSupplier;
import org.springframework.boot.actuate.endpoint.web.WebOperation;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableWebApplicationContext;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

import io.github.litestreamspring.autoconfigure.LitestreamAutoConfiguration;
import io.github.litestreamspring.lifecycle.LitestreamReplication;
import io.github.litestreamspring.autoconfigure.LitestreamEndpointAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code POST /actuator/litestream/snapshot} and {@code …/verify} run at most once at a time per
 * database: a second call while the first runs is refused (409 through Boot's web endpoint model, with
 * the running one's start time) instead of starting a second upload or download. The first call is held
 * up by keeping the replication thread busy, which both operations need.
 */
class LitestreamEndpointExclusiveOperationsTests {

	@TempDir
	Path dir;

	private WebApplicationContextRunner runner() {
		return new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LitestreamAutoConfiguration.class, LitestreamEndpointAutoConfiguration.class,
					EndpointAutoConfiguration.class, WebEndpointAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("app.db"),
					"litestream.replicas[0].url=file://" + this.dir.resolve("replica"),
					"litestream.replicas[0].sync-interval=50ms", "litestream.monitor-interval=50ms",
					"management.endpoints.web.exposure.include=litestream");
	}

	@Test
	void secondSnapshotWhileOneRunsIsRefusedWithTheRunningOnesStartTime() {
		runner().run((context) -> whileTheFirstCallRuns(context, "snapshot", (endpoint) -> {
			assertThatThrownBy(() -> endpoint.operation("snapshot")).isInstanceOf(OperationInProgressException.class)
				.hasMessageContaining("a snapshot of " + this.dir.resolve("app.db").toAbsolutePath())
				.hasMessageContaining("already running (started at ");
			// Another operation is not held back by it.
			assertThatThrownBy(() -> endpoint.operation("bogus")).hasMessageContaining("Unknown operation");
		}));
	}

	@Test
	void secondVerifyWhileOneRunsAnswers409ThroughTheWebEndpoint() {
		runner().run((context) -> whileTheFirstCallRuns(context, "verify", (endpoint) -> {
			WebEndpointResponse<?> response = invokeWriteOperation(context, "verify");
			assertThat(response.getStatus()).isEqualTo(409);
			@SuppressWarnings("unchecked")
			Map<String, Object> body = (Map<String, Object>) response.getBody();
			assertThat(body).containsEntry("operation", "verify").containsKey("startedAt");
			assertThat(String.valueOf(body.get("error"))).contains("already running");
		}));
	}

	@Test
	void operationsRunAgainOnceTheFirstHasFinished() {
		runner().run((context) -> {
			write(context.getBean(DataSource.class));
			WebEndpointResponse<?> first = invokeWriteOperation(context, "snapshot");
			WebEndpointResponse<?> second = invokeWriteOperation(context, "snapshot");
			assertThat(first.getStatus()).isEqualTo(200);
			assertThat(second.getStatus()).isEqualTo(200);
			assertThat(second.getBody().toString()).contains(".snapshot.lz4");
		});
	}

	/**
	 * Holds the replication thread, starts {@code operation} on another thread (it then waits for the
	 * replication thread, inside the endpoint), runs {@code check}, then lets everything finish and
	 * checks that the first call succeeded.
	 */
	private void whileTheFirstCallRuns(AssertableWebApplicationContext context, String operation,
			ThrowingConsumer<LitestreamEndpoint> check) throws Exception {
		write(context.getBean(DataSource.class));
		LitestreamReplication replication = context.getBean(LitestreamReplication.class);
		replication.replicator().syncNow();
		LitestreamEndpoint endpoint = context.getBean(LitestreamEndpoint.class);
		CountDownLatch busy = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		CompletableFuture<Object> blocker = CompletableFuture
			.supplyAsync(() -> replication.replicator().callOnReplicationThread(() -> {
				busy.countDown();
				try {
					return release.await(30, TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return false;
				}
			}));
		try {
			assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();
			AtomicReference<Thread> caller = new AtomicReference<>();
			CompletableFuture<Map<String, Object>> first = CompletableFuture.supplyAsync(() -> {
				caller.set(Thread.currentThread());
				return endpoint.operation(operation);
			});
			// The first call is inside the endpoint once its thread waits for the replication thread.
			long deadline = System.nanoTime() + 10_000_000_000L;
			while (System.nanoTime() < deadline && (caller.get() == null || !isWaiting(caller.get()))) {
				Thread.sleep(10);
			}
			assertThat(caller.get()).isNotNull();
			check.accept(endpoint);
			release.countDown();
			assertThat(first.get(30, TimeUnit.SECONDS)).isNotEmpty();
		}
		finally {
			release.countDown();
			blocker.get(30, TimeUnit.SECONDS);
		}
	}

	private static boolean isWaiting(Thread thread) {
		Thread.State state = thread.getState();
		return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
	}

	/** Invokes the endpoint's write operation the way Boot's web layer does (extension included). */
	private static WebEndpointResponse<?> invokeWriteOperation(AssertableWebApplicationContext context,
			String operation) {
		ExposableWebEndpoint endpoint = context.getBean(WebEndpointsSupplier.class)
			.getEndpoints()
			.stream()
			.filter((e) -> e.getEndpointId().equals(EndpointId.of("litestream")))
			.findFirst()
			.orElseThrow();
		WebOperation write = endpoint.getOperations()
			.stream()
			.filter((o) -> o.getType() == OperationType.WRITE)
			.findFirst()
			.orElseThrow();
		Object result = write.invoke(new InvocationContext(SecurityContext.NONE, Map.of("operation", operation)));
		assertThat(result).isInstanceOf(WebEndpointResponse.class);
		return (WebEndpointResponse<?>) result;
	}

	private static void write(DataSource dataSource) throws Exception {
		try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
			st.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)");
			st.execute("INSERT INTO notes (body) VALUES ('x')");
		}
	}

	@FunctionalInterface
	interface ThrowingConsumer<T> {

		void accept(T value) throws Exception;

	}

}
