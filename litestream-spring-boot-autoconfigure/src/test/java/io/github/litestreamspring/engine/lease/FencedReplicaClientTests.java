package io.github.litestreamspring.engine.lease;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.GuardedWrites;
import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.WriteGuard;
import io.github.litestreamspring.engine.replica.file.FileReplicaClient;
import io.github.litestreamspring.engine.replica.DelegatingReplicaClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** The single-writer guard as its own decorator of a replica client ({@link FencedReplicaClient}). */
class FencedReplicaClientTests {

	private static final String GENERATION = "0123456789abcdef";

	@TempDir
	Path dir;

	@Test
	void writesAndDeletesAskTheGuardFirstAndAreRefusedWithItsReason() throws Exception {
		FileReplicaClient store = new FileReplicaClient(this.dir.resolve("replica"));
		FencedReplicaClient fenced = new FencedReplicaClient(store, store);
		fenced.setWriteGuard(() -> {
			throw new IOException("lease not held");
		});
		assertThatExceptionOfType(IOException.class)
			.isThrownBy(() -> fenced.writeWalSegment(new Pos(GENERATION, 0, 0), bytes(10)))
			.withMessage("lease not held");
		assertThatExceptionOfType(IOException.class).isThrownBy(() -> fenced.deleteGeneration(GENERATION))
			.withMessage("lease not held");
		assertThat(store.generations()).as("nothing reached the store").isEmpty();
		// Reads and the lease calls are not guarded: the lease is what the guard rests on.
		assertThat(fenced.generations()).isEmpty();
		assertThat(fenced.createLease("{}".getBytes())).isNotNull();
		assertThat(fenced.readLease()).isPresent();
	}

	@Test
	void aLongWriteAsksTheGuardAgainOnEveryReadOfItsData() throws Exception {
		FileReplicaClient store = new FileReplicaClient(this.dir.resolve("replica"));
		FencedReplicaClient fenced = new FencedReplicaClient(store, store);
		AtomicInteger checks = new AtomicInteger();
		fenced.setWriteGuard(() -> {
			if (checks.incrementAndGet() > 2) {
				throw new IOException("lease expired");
			}
		});
		assertThatExceptionOfType(IOException.class)
			.isThrownBy(() -> fenced.writeSnapshot(GENERATION, 0, new InputStream() {

				private int left = 1_000_000;

				@Override
				public int read() {
					return (this.left-- > 0) ? 1 : -1;
				}

			}))
			.withMessage("lease expired");
		assertThat(store.snapshots(GENERATION)).isEmpty();
	}

	@Test
	void aStoreClientWithInRequestChecksGetsTheGuardToo() throws Exception {
		AtomicReference<WriteGuard> handedDown = new AtomicReference<>();
		FileReplicaClient files = new FileReplicaClient(this.dir.resolve("replica"));
		class CheckingStore extends DelegatingReplicaClient implements GuardedWrites {

			CheckingStore() {
				super(files);
			}

			@Override
			public void setWriteGuard(WriteGuard guard) {
				handedDown.set(guard);
			}

		}
		CheckingStore store = new CheckingStore();
		// As Replica builds it: the fence outermost, the store client's own checks at the end of the chain.
		FencedReplicaClient fenced = new FencedReplicaClient(new DelegatingReplicaClient(store), store);
		WriteGuard guard = () -> {
		};
		fenced.setWriteGuard(guard);
		assertThat(handedDown.get()).isSameAs(guard);
		fenced.setWriteGuard(null);
		assertThat(handedDown.get()).isNull();
	}

	private static InputStream bytes(int n) {
		return new ByteArrayInputStream(new byte[n]);
	}

}
