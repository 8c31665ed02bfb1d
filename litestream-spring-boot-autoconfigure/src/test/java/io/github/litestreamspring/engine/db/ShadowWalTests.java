package io.github.litestreamspring.engine.db;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.wal.WalHeader;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ShadowWal} built directly on a real database: generations, copies, pruning and the bound. */
class ShadowWalTests {

	@TempDir
	Path dir;

	private WalFixture fixture;

	private DatabaseConnections connections;

	private WalFile wal;

	private final List<String> generations = new ArrayList<>();

	private ShadowWal shadowWal;

	@BeforeEach
	void open() throws Exception {
		this.fixture = new WalFixture(this.dir);
		this.fixture.app.insertBatch(0, 5, 100);
		this.connections = new DatabaseConnections(this.fixture.options);
		this.connections.open();
		this.wal = new WalFile(this.fixture.db, this.fixture.wal(), this.connections);
		this.wal.setPageSize(this.fixture.pageSize());
		DatabaseListener listener = new DatabaseListener() {

			@Override
			public void onNewGeneration(String generation, String reason) {
				ShadowWalTests.this.generations.add(generation + " " + reason);
			}

		};
		this.shadowWal = new ShadowWal(this.wal, this.fixture.state, () -> listener);
	}

	@AfterEach
	void close() throws Exception {
		this.connections.closeQuietly();
		this.fixture.close();
	}

	@Test
	void firstSyncStartsAGenerationWithTheWalsCommittedFrames() throws Exception {
		SyncResult result = this.shadowWal.sync();
		Pos pos = result.position();
		assertThat(result.newGeneration()).isTrue();
		assertThat(this.generations).containsExactly(pos.generation() + " no generation exists");
		assertThat(this.fixture.state.generation()).isEqualTo(pos.generation());
		assertThat(pos.index()).isZero();
		assertThat(pos.offset()).isEqualTo(this.wal.alignedSize()).isGreaterThan(WalHeader.SIZE);
		Path shadow = this.fixture.state.shadowWal(pos.generation(), 0);
		assertThat(Files.readAllBytes(shadow)).isEqualTo(this.fixture.walBytes());
	}

	@Test
	void laterSyncsAppendNewCommitsToTheSameIndex() throws Exception {
		Pos first = this.shadowWal.sync().position();
		this.fixture.app.insertBatch(1, 3, 100);
		SyncResult second = this.shadowWal.sync();
		assertThat(second.newGeneration()).isFalse();
		assertThat(second.position().generation()).isEqualTo(first.generation());
		assertThat(second.position().index()).isZero();
		assertThat(second.position().offset()).isGreaterThan(first.offset());
		assertThat(second.bytesCopied()).isEqualTo(second.position().offset() - first.offset());
		assertThat(this.shadowWal.position()).isEqualTo(second.position());
	}

	@Test
	void aWalRestartedByAnotherConnectionSealsTheIndexAndStartsTheNext() throws Exception {
		Pos first = this.shadowWal.sync().position();
		// The engine holds no read mark here (Database would): the application may restart the WAL.
		try (var st = this.fixture.app.connection().createStatement()) {
			st.execute("PRAGMA wal_checkpoint(RESTART)");
		}
		this.fixture.app.insertBatch(1, 1, 10);
		SyncResult result = this.shadowWal.sync();
		assertThat(result.newGeneration()).isFalse();
		assertThat(result.walRestarted()).isTrue();
		assertThat(result.position().generation()).isEqualTo(first.generation());
		assertThat(result.position().index()).isEqualTo(1);
		assertThat(this.shadowWal.size(first.generation(), 0)).isEqualTo(first.offset());
	}

	@Test
	void pruneKeepsOneIndexBeforeTheSlowestReplica() throws Exception {
		String generation = startIndexes(4);
		this.shadowWal.prune(3);
		assertThat(this.fixture.state.shadowWalIndexes(generation)).containsExactly(2L, 3L);
	}

	@Test
	void boundDeletesTheOldestIndexesButNeverTheCurrentOne() throws Exception {
		String generation = startIndexes(4);
		assertThat(this.shadowWal.bound(1)).isEqualTo(3);
		assertThat(this.fixture.state.shadowWalIndexes(generation)).containsExactly(3L);
		assertThat(this.shadowWal.bound(0)).as("zero disables the bound").isEqualTo(-1);
	}

	/** Syncs, then lays out shadow indexes 1 to n-1 as copies of index 0 and syncs up to the last. */
	private String startIndexes(int n) throws Exception {
		String generation = this.shadowWal.sync().position().generation();
		Path first = this.fixture.state.shadowWal(generation, 0);
		for (int i = 1; i < n; i++) {
			Files.copy(first, this.fixture.state.shadowWal(generation, i));
		}
		assertThat(this.shadowWal.sync().position().index()).isEqualTo(n - 1);
		return generation;
	}

}
