package io.github.litestreamspring.engine.wal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class WalHeaderTests {

	@TempDir
	Path dir;

	@Test
	void parsesHeaderWrittenBySqlite() throws Exception {
		byte[] raw = realHeader(4096);
		WalHeader header = WalHeader.parse(raw, 0);
		// x86 and ARM SQLite are little-endian and say so in the magic.
		assertThat(header.magic()).isEqualTo(WalHeader.MAGIC_LITTLE_ENDIAN);
		assertThat(header.bigEndianChecksums()).isFalse();
		assertThat(header.formatVersion()).isEqualTo(3007000);
		assertThat(header.pageSize()).isEqualTo(4096);
		assertThat(header.frameSize()).isEqualTo(4120);
		assertThat(header.isChecksumValid()).isTrue();
		assertThat(header.checksum()).isEqualTo(WalChecksum.update(false, 0, raw, 0, 24));
		assertThat(header.toBytes()).isEqualTo(raw);
	}

	@Test
	void parsesAtOffset() throws Exception {
		byte[] raw = realHeader(1024);
		byte[] shifted = new byte[raw.length + 5];
		System.arraycopy(raw, 0, shifted, 5, raw.length);
		assertThat(WalHeader.parse(shifted, 5)).isEqualTo(WalHeader.parse(raw, 0));
	}

	@Test
	void parsesPageSize65536AsSqliteWritesIt() throws Exception {
		byte[] raw = realHeader(65536);
		// SQLite stores 65536 literally in the 4-byte WAL field (unlike the database header's 1).
		assertThat(Arrays.copyOfRange(raw, 8, 12)).containsExactly(0, 1, 0, 0);
		WalHeader header = WalHeader.parse(raw, 0);
		assertThat(header.pageSize()).isEqualTo(65536);
		assertThat(header.isChecksumValid()).isTrue();
		assertThat(header.toBytes()).isEqualTo(raw);
	}

	@Test
	void parsesPageSizeStoredAsOneAs65536() throws Exception {
		byte[] raw = realHeader(65536);
		WalChecksum.writeIntBigEndian(raw, 8, 1);
		long checksum = WalChecksum.update(false, 0, raw, 0, 24);
		WalChecksum.writeIntBigEndian(raw, 24, WalChecksum.s0(checksum));
		WalChecksum.writeIntBigEndian(raw, 28, WalChecksum.s1(checksum));
		WalHeader header = WalHeader.parse(raw, 0);
		assertThat(header.pageSize()).isEqualTo(65536);
		assertThat(header.frameSize()).isEqualTo(65536 + 24);
		assertThat(header.isChecksumValid()).isTrue();
	}

	@Test
	void detectsCorruptedHeaderChecksum() throws Exception {
		byte[] raw = realHeader(4096);
		raw[13] ^= 1; // checkpoint sequence
		WalHeader header = WalHeader.parse(raw, 0);
		assertThat(header.isChecksumValid()).isFalse();
	}

	@Test
	void bigEndianMagicSelectsBigEndianChecksums() throws Exception {
		byte[] raw = WalTestFiles.toBigEndianChecksums(realHeader(4096));
		WalHeader header = WalHeader.parse(raw, 0);
		assertThat(header.magic()).isEqualTo(0x377F0683);
		assertThat(header.bigEndianChecksums()).isTrue();
		assertThat(header.isChecksumValid()).isTrue();
		assertThat(header.checksum()).isEqualTo(WalChecksum.update(true, 0, raw, 0, 24));
	}

	@Test
	void rejectsBadMagic() throws Exception {
		byte[] raw = realHeader(4096);
		raw[3] = 0x00;
		assertThatExceptionOfType(WalFormatException.class).isThrownBy(() -> WalHeader.parse(raw, 0))
			.withMessageContaining("magic");
	}

	@Test
	void rejectsUnknownFormatVersion() throws Exception {
		byte[] raw = realHeader(4096);
		WalChecksum.writeIntBigEndian(raw, 4, 3007001);
		assertThatExceptionOfType(WalFormatException.class).isThrownBy(() -> WalHeader.parse(raw, 0))
			.withMessageContaining("version");
	}

	@Test
	void rejectsPageSizesSqliteCannotHave() throws Exception {
		byte[] raw = realHeader(4096);
		for (int bad : new int[] { 0, 256, 1000, 131072, -4096 }) {
			WalChecksum.writeIntBigEndian(raw, 8, bad);
			assertThatExceptionOfType(WalFormatException.class).isThrownBy(() -> WalHeader.parse(raw, 0))
				.withMessageContaining("page size");
		}
	}

	@Test
	void rejectsShortInput() {
		assertThatExceptionOfType(WalFormatException.class).isThrownBy(() -> WalHeader.parse(new byte[31], 0));
	}

	private byte[] realHeader(int pageSize) throws Exception {
		Path db = this.dir.resolve("h" + pageSize + ".db");
		try (Connection connection = WalTestFiles.openWalDatabase(db, pageSize)) {
			WalTestFiles.insertTransaction(connection, 1, 10, 1);
			return Arrays.copyOf(Files.readAllBytes(WalTestFiles.walOf(db)), WalHeader.SIZE);
		}
	}

}
