package io.github.litestreamspring.engine.db;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.testsupport.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Database} on a real file: sync, snapshot staging, clean close and the next open. */
class DatabaseTests {

	@TempDir
	Path dir;

	@Test
	void openReadsThePageSizeAndSyncCopiesCommitsIntoANewGeneration() throws Exception {
		Path db = this.dir.resolve("app.db");
		try (TestDatabase app = new TestDatabase(db)) {
			app.insertBatch(0, 5, 100);
			Database database = new Database(DatabaseOptions.defaults(db));
			database.open();
			try {
				assertThat(database.pageSize()).isEqualTo(4096);
				SyncResult result = database.sync(false);
				assertThat(result.newGeneration()).isTrue();
				assertThat(database.position()).isEqualTo(result.position());
				assertThat(database.shadowWalSize(result.position().generation(), 0)).isEqualTo(result.position().offset());
			}
			finally {
				database.close();
			}
		}
	}

	@Test
	void aSnapshotIsTheDatabaseFileAtThePositionItReports() throws Exception {
		Path db = this.dir.resolve("app.db");
		try (TestDatabase app = new TestDatabase(db)) {
			app.insertBatch(0, 50, 100);
			Database database = new Database(DatabaseOptions.defaults(db));
			database.open();
			try {
				ByteArrayOutputStream copy = new ByteArrayOutputStream();
				Pos pos = database.withSnapshot((at, in) -> {
					in.transferTo(copy);
					return at;
				});
				assertThat(pos).isEqualTo(database.position());
				Path restored = this.dir.resolve("snapshot.db");
				Files.write(restored, copy.toByteArray());
				assertThat(TestDatabase.integrityCheck(restored)).isEqualTo("ok");
				assertThat(TestDatabase.rows(restored)).hasSize(50);
				assertThat(Files.exists(database.localState().metaDir().resolve(SnapshotStaging.STAGING_FILE)))
					.as("the staged copy is removed").isFalse();
			}
			finally {
				database.close();
			}
		}
	}

	@Test
	void aCleanCloseLetsTheNextOpenContinueTheGenerationAtTheNextIndex() throws Exception {
		Path db = this.dir.resolve("app.db");
		Pos stopped;
		try (TestDatabase app = new TestDatabase(db)) {
			app.insertBatch(0, 5, 100);
		}
		Database database = new Database(DatabaseOptions.defaults(db));
		database.open();
		try {
			stopped = database.sync(false).position();
		}
		finally {
			database.close(); // the last connection: SQLite checkpoints and deletes the WAL
		}
		assertThat(Files.exists(DatabaseOptions.defaults(db).walPath())).isFalse();
		Database reopened = new Database(DatabaseOptions.defaults(db));
		reopened.open();
		try {
			Pos pos = reopened.sync(false).position();
			assertThat(pos.generation()).isEqualTo(stopped.generation());
			assertThat(pos.index()).isEqualTo(stopped.index() + 1);
		}
		finally {
			reopened.close();
		}
	}

}
