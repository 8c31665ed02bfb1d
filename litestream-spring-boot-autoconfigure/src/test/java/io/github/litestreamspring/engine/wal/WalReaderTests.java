package io.github.litestreamspring.engine.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class WalReaderTests {

	private static final int PAGE_SIZE = 4096;

	/** CREATE TABLE plus the four transactions written in {@link #writeWal()}. */
	private static final int TRANSACTIONS = 5;

	@TempDir
	Path dir;

	private Path db;

	private Connection connection;

	@BeforeEach
	void writeWal() throws SQLException {
		this.db = this.dir.resolve("app.db");
		this.connection = WalTestFiles.openWalDatabase(this.db, PAGE_SIZE);
		WalTestFiles.insertTransaction(this.connection, 1, 100, 1);
		WalTestFiles.insertTransaction(this.connection, 10, 1000, 2);
		// Spans many pages, so the last transactions have several non-commit frames.
		WalTestFiles.insertTransaction(this.connection, 30, 3000, 3);
		WalTestFiles.insertTransaction(this.connection, 20, 2500, 4);
	}

	@AfterEach
	void close() throws SQLException {
		this.connection.close();
	}

	@Test
	void validatesEveryFrameOfARealWal() throws Exception {
		Path wal = copyWal("copy-wal");
		long size = Files.size(wal);
		List<Frame> frames = readAll(wal);
		assertThat(frames).hasSize(Math.toIntExact((size - 32) / (PAGE_SIZE + 24)));
		assertThat(size).isEqualTo(WalFiles.frameOffset(frames.size(), PAGE_SIZE));
		for (int i = 0; i < frames.size(); i++) {
			assertThat(frames.get(i).offset()).isEqualTo(WalFiles.frameOffset(i, PAGE_SIZE));
			assertThat(frames.get(i).header().pageNumber()).isPositive();
		}
		List<Frame> commits = frames.stream().filter((f) -> f.header().isCommit()).toList();
		assertThat(commits).hasSize(TRANSACTIONS);
		assertThat(frames.get(frames.size() - 1).header().isCommit()).isTrue();
		assertThat(frames.get(frames.size() - 1).header().commitSize()).isEqualTo(pageCount());
		// The big transactions really did produce non-commit frames.
		assertThat(frames.size()).isGreaterThan(TRANSACTIONS + 10);
	}

	@Test
	void exposesFrameBytesAndChecksumsAsStored() throws Exception {
		Path wal = copyWal("copy-wal");
		byte[] raw = Files.readAllBytes(wal);
		WalHeader header = WalHeader.parse(raw, 0);
		try (FileChannel channel = FileChannel.open(wal);
				WalReader reader = new WalReader(channel, header, 32, header.checksum())) {
			assertThat(reader.next()).isTrue();
			assertThat(reader.frame()).hasSize(24 + PAGE_SIZE);
			assertThat(reader.frame()).isEqualTo(Arrays.copyOfRange(raw, 32, 32 + 24 + PAGE_SIZE));
			assertThat(reader.checksum()).isEqualTo(reader.frameHeader().checksum());
			assertThat(reader.frameHeader().salt1()).isEqualTo(header.salt1());
			assertThat(reader.endOffset()).isEqualTo(32 + 24 + PAGE_SIZE);
		}
	}

	@Test
	void scanCommittedEndsAtTheAlignedFileSize() throws Exception {
		Path wal = copyWal("copy-wal");
		List<Frame> frames = readAll(wal);
		WalReader.Result result = scan(wal);
		assertThat(result.lastCommitEndOffset()).isEqualTo(WalFiles.alignedSize(Files.size(wal), PAGE_SIZE))
			.isEqualTo(Files.size(wal));
		assertThat(result.lastCommitChecksum()).isEqualTo(frames.get(frames.size() - 1).header().checksum());
		assertThat(result.validFrameCount()).isEqualTo(frames.size());
	}

	@Test
	void resumesInTheMiddleWhenSeededWithThePreviousFrameChecksum() throws Exception {
		Path wal = copyWal("copy-wal");
		List<Frame> frames = readAll(wal);
		int k = frames.size() / 2;
		WalHeader header = header(wal);
		try (FileChannel channel = FileChannel.open(wal);
				WalReader reader = new WalReader(channel, header, frames.get(k).offset(),
						frames.get(k - 1).header().checksum())) {
			int count = 0;
			while (reader.next()) {
				assertThat(reader.offset()).isEqualTo(frames.get(k + count).offset());
				count++;
			}
			assertThat(count).isEqualTo(frames.size() - k);
		}
		// The checksum chains: any other seed rejects the very first frame.
		try (FileChannel channel = FileChannel.open(wal);
				WalReader reader = new WalReader(channel, header, frames.get(k).offset(), header.checksum())) {
			assertThat(reader.next()).isFalse();
			assertThat(reader.endOffset()).isEqualTo(frames.get(k).offset());
			assertThat(reader.checksum()).isEqualTo(header.checksum());
		}
	}

	@Test
	void stopsAtAFrameWithAFlippedByte() throws Exception {
		Path wal = copyWal("copy-wal");
		int total = readAll(wal).size();
		int k = total / 2;
		WalTestFiles.flipByte(wal, WalFiles.frameOffset(k, PAGE_SIZE) + 24 + 1000);
		try (FileChannel channel = FileChannel.open(wal);
				WalReader reader = new WalReader(channel, header(wal), 32, header(wal).checksum())) {
			int count = 0;
			while (reader.next()) {
				count++;
			}
			assertThat(count).isEqualTo(k);
			assertThat(reader.endOffset()).isEqualTo(WalFiles.frameOffset(k, PAGE_SIZE));
			// Stays stopped even though valid-looking frames follow.
			assertThat(reader.next()).isFalse();
			assertThatIllegalStateException().isThrownBy(reader::frameHeader);
		}
	}

	@Test
	void stopsAtAFrameWithAForeignSalt() throws Exception {
		Path wal = copyWal("copy-wal");
		int k = readAll(wal).size() / 3;
		long frameOffset = WalFiles.frameOffset(k, PAGE_SIZE);
		// Salts are not covered by the checksum: only the salt comparison can catch this.
		WalTestFiles.writeInt(wal, frameOffset + 8, header(wal).salt1() + 1);
		assertThat(readAll(wal)).hasSize(k);
	}

	@Test
	void scanCommittedIgnoresAnUncommittedTail() throws Exception {
		Path wal = copyWal("copy-wal");
		List<Frame> frames = readAll(wal);
		// Drop the commit frame of the last transaction, keeping its other frames.
		Frame lastCommit = frames.get(frames.size() - 1);
		Frame previousCommit = frames.subList(0, frames.size() - 1)
			.stream()
			.filter((f) -> f.header().isCommit())
			.reduce((a, b) -> b)
			.orElseThrow();
		WalTestFiles.truncate(wal, lastCommit.offset());
		WalReader.Result result = scan(wal);
		assertThat(result.lastCommitEndOffset()).isEqualTo(previousCommit.offset() + 24 + PAGE_SIZE);
		assertThat(result.lastCommitChecksum()).isEqualTo(previousCommit.header().checksum());
		assertThat(result.validFrameCount()).isEqualTo(frames.size() - 1);
		assertThat(result.lastCommitEndOffset()).isLessThan(lastCommit.offset());
	}

	@Test
	void scanCommittedReportsTheStartWhenNoCommitFollows() throws Exception {
		Path wal = copyWal("copy-wal");
		WalHeader header = header(wal);
		WalTestFiles.truncate(wal, 32);
		try (FileChannel channel = FileChannel.open(wal)) {
			WalReader.Result result = WalReader.scanCommitted(channel, header, 32, header.checksum());
			assertThat(result).isEqualTo(new WalReader.Result(32, header.checksum(), 0));
		}
	}

	@Test
	void ignoresAPartialTrailingFrame() throws Exception {
		Path wal = copyWal("copy-wal");
		int total = readAll(wal).size();
		long cut = Files.size(wal) - 100;
		WalTestFiles.truncate(wal, cut);
		assertThat(WalFiles.alignedSize(cut, PAGE_SIZE)).isEqualTo(WalFiles.frameOffset(total - 1, PAGE_SIZE));
		assertThat(readAll(wal)).hasSize(total - 1);
	}

	@Test
	void bigEndianWalIsAcceptedBySqliteAndByTheReader() throws Exception {
		long rows = WalTestFiles.countRows(this.connection);
		Path copy = Files.createDirectory(this.dir.resolve("big-endian")).resolve("app.db");
		Files.copy(this.db, copy);
		Path wal = WalTestFiles.walOf(copy);
		Files.write(wal, WalTestFiles.toBigEndianChecksums(Files.readAllBytes(WalTestFiles.walOf(this.db))));
		assertThat(header(wal).bigEndianChecksums()).isTrue();
		assertThat(header(wal).isChecksumValid()).isTrue();
		assertThat(scan(wal).lastCommitEndOffset()).isEqualTo(Files.size(wal));
		assertThat(readAll(wal)).hasSize(readAll(WalTestFiles.walOf(this.db)).size());
		// Open last: SQLite checkpoints and deletes the WAL when it closes.
		try (Connection reopened = DriverManager.getConnection("jdbc:sqlite:" + copy)) {
			assertThat(WalTestFiles.countRows(reopened)).isEqualTo(rows).isEqualTo(61);
			assertThat(WalTestFiles.integrityCheck(reopened)).isEqualTo("ok");
		}
	}

	@Test
	void sqliteIgnoresAWalWhoseChecksumsDoNotMatchItsMagic() throws Exception {
		// Control for the test above: only the magic flipped, checksums still little-endian.
		Path copy = Files.createDirectory(this.dir.resolve("mismatch")).resolve("app.db");
		Files.copy(this.db, copy);
		Path wal = WalTestFiles.walOf(copy);
		Files.copy(WalTestFiles.walOf(this.db), wal);
		WalTestFiles.writeInt(wal, 0, WalHeader.MAGIC_BIG_ENDIAN);
		assertThat(header(wal).isChecksumValid()).isFalse();
		try (Connection reopened = DriverManager.getConnection("jdbc:sqlite:" + copy);
				Statement statement = reopened.createStatement();
				var rs = statement.executeQuery("SELECT count(*) FROM sqlite_schema WHERE name = 't'")) {
			rs.next();
			assertThat(rs.getInt(1)).isZero();
		}
	}

	@Test
	void readsARealWalWith64KiBPages() throws Exception {
		Path big = this.dir.resolve("big-pages.db");
		try (Connection c = WalTestFiles.openWalDatabase(big, 65536)) {
			WalTestFiles.insertTransaction(c, 40, 5000, 9);
			WalTestFiles.insertTransaction(c, 1, 10, 10);
			Path wal = Files.copy(WalTestFiles.walOf(big), this.dir.resolve("big-pages-wal"));
			WalHeader header = header(wal);
			assertThat(header.pageSize()).isEqualTo(65536);
			WalReader.Result result = scan(wal);
			assertThat(result.lastCommitEndOffset()).isEqualTo(Files.size(wal));
			assertThat(result.validFrameCount()).isEqualTo((Files.size(wal) - 32) / (65536 + 24)).isGreaterThan(3);
		}
	}

	@Test
	void rejectsAStartOffsetInsideAFrame() throws Exception {
		Path wal = copyWal("copy-wal");
		WalHeader header = header(wal);
		try (FileChannel channel = FileChannel.open(wal)) {
			assertThatIllegalArgumentException().isThrownBy(() -> new WalReader(channel, header, 33, 0));
			assertThatIllegalArgumentException().isThrownBy(() -> new WalReader(channel, header, 0, 0));
		}
	}

	private Path copyWal(String name) throws IOException {
		return Files.copy(WalTestFiles.walOf(this.db), this.dir.resolve(name));
	}

	private int pageCount() throws SQLException {
		try (Statement statement = this.connection.createStatement();
				var rs = statement.executeQuery("PRAGMA page_count")) {
			rs.next();
			return rs.getInt(1);
		}
	}

	private static WalHeader header(Path wal) throws IOException {
		try (FileChannel channel = FileChannel.open(wal, StandardOpenOption.READ)) {
			return WalFiles.readHeader(channel);
		}
	}

	private static WalReader.Result scan(Path wal) throws IOException {
		WalHeader header = header(wal);
		try (FileChannel channel = FileChannel.open(wal)) {
			return WalReader.scanCommitted(channel, header, 32, header.checksum());
		}
	}

	private static List<Frame> readAll(Path wal) throws IOException {
		WalHeader header = header(wal);
		List<Frame> frames = new ArrayList<>();
		try (FileChannel channel = FileChannel.open(wal);
				WalReader reader = new WalReader(channel, header, 32, header.checksum())) {
			while (reader.next()) {
				frames.add(new Frame(reader.offset(), reader.frameHeader()));
			}
		}
		return frames;
	}

	record Frame(long offset, WalFrameHeader header) {
	}

}
