package io.github.litestreamspring.engine.db;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.wal.WalFrameHeader;
import io.github.litestreamspring.engine.wal.WalHeader;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Checkpointer} built directly on a real database: which checkpoint the thresholds call for
 * (Litestream's page counts), and a RESTART that starts the shadow WAL's next index.
 */
class CheckpointThresholdsTests {

	@TempDir
	Path dir;

	private WalFixture fixture;

	private DatabaseConnections connections;

	private final List<String> checkpoints = new ArrayList<>();

	@AfterEach
	void close() throws Exception {
		if (this.connections != null) {
			this.connections.closeQuietly();
		}
		this.fixture.close();
	}

	private Checkpointer checkpointer(int min, int max, int truncate) throws Exception {
		this.fixture = new WalFixture(this.dir);
		this.fixture.app.insertBatch(0, 5, 100);
		DatabaseOptions options = this.fixture.options.withCheckpointPageCounts(min, max, truncate)
			.withIntervals(Duration.ofSeconds(1), Duration.ZERO);
		this.connections = new DatabaseConnections(options);
		this.connections.open();
		WalFile wal = new WalFile(this.fixture.db, this.fixture.wal(), this.connections);
		wal.setPageSize(this.fixture.pageSize());
		DatabaseListener listener = new DatabaseListener() {

			@Override
			public void onCheckpoint(CheckpointMode mode, boolean walRestarted, long nanos) {
				CheckpointThresholdsTests.this.checkpoints.add(mode + " " + walRestarted);
			}

		};
		ShadowWal shadowWal = new ShadowWal(wal, this.fixture.state, () -> listener);
		this.shadowWal = shadowWal;
		return new Checkpointer(wal, options, this.fixture.state, this.connections, shadowWal, () -> listener);
	}

	private ShadowWal shadowWal;

	private long frames(long n) throws Exception {
		return WalHeader.SIZE + n * (WalFrameHeader.SIZE + this.fixture.pageSize());
	}

	@Test
	void noCheckpointIsDueBelowTheMinimumPageCount() throws Exception {
		Checkpointer checkpointer = checkpointer(100, 1000, 10_000);
		Pos pos = new Pos(WalFixture.GENERATION, 0, frames(99));
		assertThat(checkpointer.checkpointNeeded(frames(99), pos)).isNull();
	}

	@Test
	void aPassiveCheckpointIsDueFromTheMinimumPageCount() throws Exception {
		Checkpointer checkpointer = checkpointer(100, 1000, 10_000);
		Pos pos = new Pos(WalFixture.GENERATION, 0, frames(100));
		assertThat(checkpointer.checkpointNeeded(frames(100), pos)).isEqualTo(CheckpointMode.PASSIVE);
	}

	@Test
	void aRestartCheckpointIsDueFromTheMaximumPageCountOfTheShadowWal() throws Exception {
		Checkpointer checkpointer = checkpointer(100, 1000, 10_000);
		Pos pos = new Pos(WalFixture.GENERATION, 0, frames(1000));
		assertThat(checkpointer.checkpointNeeded(frames(1000), pos)).isEqualTo(CheckpointMode.RESTART);
	}

	@Test
	void aTruncateCheckpointIsDueFromTheTruncatePageCountOfTheRealWal() throws Exception {
		Checkpointer checkpointer = checkpointer(100, 1000, 10_000);
		Pos pos = new Pos(WalFixture.GENERATION, 0, frames(1));
		assertThat(checkpointer.checkpointNeeded(frames(10_000), pos)).isEqualTo(CheckpointMode.TRUNCATE);
	}

	@Test
	void aRestartCheckpointStartsTheNextShadowIndexWithEveryFrameCopied() throws Exception {
		Checkpointer checkpointer = checkpointer(100, 1000, 10_000);
		this.connections.acquireReadLock();
		Pos before = this.shadowWal.sync().position();
		this.fixture.app.insertBatch(1, 3, 100);
		long walBefore = this.fixture.walBytes().length;
		assertThat(checkpointer.checkpoint(CheckpointMode.RESTART)).isTrue();
		Pos after = this.shadowWal.position();
		assertThat(after.generation()).isEqualTo(before.generation());
		assertThat(after.index()).isEqualTo(before.index() + 1);
		assertThat(this.shadowWal.size(before.generation(), before.index()))
			.as("the sealed index holds every frame of the old WAL life")
			.isEqualTo(walBefore);
		assertThat(this.checkpoints).containsExactly("RESTART true");
	}

}
