package io.github.litestreamspring.engine.replica;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.litestreamspring.engine.ReplicaPaths;

/**
 * The replica key layout must be byte-identical to Litestream v0.3.13's (format reference §1.1), since
 * both sides read each other's replicas by listing and parsing these names.
 */
class ReplicaPathsTests {

	private static final String GEN = "0123456789abcdef";

	@Test
	void snapshotAndWalSegmentKeysMatchLitestreamByteForByte() {
		assertThat(ReplicaPaths.snapshotPath("", GEN, 0x7a))
			.isEqualTo("generations/0123456789abcdef/snapshots/0000007a.snapshot.lz4");
		assertThat(ReplicaPaths.walSegmentPath("", GEN, 0x7a, 0x1038))
			.isEqualTo("generations/0123456789abcdef/wal/0000007a_00001038.wal.lz4");
		assertThat(ReplicaPaths.snapshotName(0)).isEqualTo("00000000.snapshot.lz4");
		assertThat(ReplicaPaths.walSegmentName(ReplicaPaths.MAX_INDEX, 0))
			.isEqualTo("7fffffff_00000000.wal.lz4");
		assertThat(ReplicaPaths.generationsPath("db")).isEqualTo("db/generations");
		assertThat(ReplicaPaths.generationPath("db", GEN)).isEqualTo("db/generations/0123456789abcdef");
		assertThat(ReplicaPaths.snapshotsPath("db", GEN)).isEqualTo("db/generations/0123456789abcdef/snapshots");
		assertThat(ReplicaPaths.walPath("db", GEN)).isEqualTo("db/generations/0123456789abcdef/wal");
	}

	@Test
	void formatIndexIsPrintfPercent08xAndGrowsPastEightDigits() {
		assertThat(ReplicaPaths.formatIndex(0)).isEqualTo("00000000");
		assertThat(ReplicaPaths.formatIndex(0xabcdef)).isEqualTo("00abcdef");
		assertThat(ReplicaPaths.formatIndex(0xffffffffL)).isEqualTo("ffffffff");
		// Go's %08x pads to at least 8 digits; an offset >= 4 GiB needs 9.
		assertThat(ReplicaPaths.formatIndex(0x100000000L)).isEqualTo("100000000");
		assertThat(ReplicaPaths.walSegmentName(1, 0x123456789L)).isEqualTo("00000001_123456789.wal.lz4");
	}

	@Test
	void rootsAreJoinedWithGoPathJoinSemantics() {
		// An empty root puts keys at the bucket root.
		assertThat(ReplicaPaths.snapshotPath("", GEN, 1)).startsWith("generations/");
		// Trailing slashes and '//' are cleaned away.
		assertThat(ReplicaPaths.walSegmentPath("backups/app/", GEN, 1, 0))
			.isEqualTo("backups/app/generations/0123456789abcdef/wal/00000001_00000000.wal.lz4");
		assertThat(ReplicaPaths.generationsPath("backups//app//")).isEqualTo("backups/app/generations");
		assertThat(ReplicaPaths.generationsPath("/")).isEqualTo("/generations");
		// A leading '/' from the YAML 'path:' field is kept, so keys start with '/'.
		assertThat(ReplicaPaths.snapshotPath("/db", GEN, 2))
			.isEqualTo("/db/generations/0123456789abcdef/snapshots/00000002.snapshot.lz4");
		assertThat(ReplicaPaths.generationsPath("//db")).isEqualTo("/db/generations");
		// Dots are resolved lexically, as path.Clean does.
		assertThat(ReplicaPaths.generationsPath("a/./b/../c")).isEqualTo("a/c/generations");
		assertThat(ReplicaPaths.join("", "")).isEmpty();
		assertThat(ReplicaPaths.join("a", "", "b")).isEqualTo("a/b");
		assertThat(ReplicaPaths.join(".")).isEqualTo(".");
	}

	@Test
	void parsesSnapshotNamesStrictly() {
		assertThat(ReplicaPaths.parseSnapshotName("0000007a.snapshot.lz4")).isEqualTo(0x7a);
		assertThat(ReplicaPaths.parseSnapshotName("7fffffff.snapshot.lz4")).isEqualTo(0x7fffffffL);
		assertThat(ReplicaPaths.parseSnapshotName("0000007A.snapshot.lz4")).as("upper case").isEqualTo(-1);
		assertThat(ReplicaPaths.parseSnapshotName("000007a.snapshot.lz4")).as("7 digits").isEqualTo(-1);
		assertThat(ReplicaPaths.parseSnapshotName("00000007a.snapshot.lz4")).as("9 digits").isEqualTo(-1);
		assertThat(ReplicaPaths.parseSnapshotName("0000007a.snapshot.lz4.tmp")).as("temporary file").isEqualTo(-1);
		assertThat(ReplicaPaths.parseSnapshotName("0000007a.snapshot")).isEqualTo(-1);
		assertThat(ReplicaPaths.parseSnapshotName("readme")).isEqualTo(-1);
		assertThat(ReplicaPaths.parseSnapshotName("")).isEqualTo(-1);
	}

	@Test
	void parsesWalSegmentOffsetsOfEightToSixteenHexDigits() {
		assertThat(ReplicaPaths.parseWalSegmentName("0000007a_00001038.wal.lz4")).containsExactly(0x7a, 0x1038);
		// v0.3.13 writes %08x, so offsets >= 4 GiB get more digits; accept them like v0.5 does.
		assertThat(ReplicaPaths.parseWalSegmentName("00000001_100000000.wal.lz4")).containsExactly(1, 0x100000000L);
		assertThat(ReplicaPaths.parseWalSegmentName("00000001_ffffffffffffffff.wal.lz4"))
			.as("16 digits, unsigned").containsExactly(1, -1L);
		assertThat(ReplicaPaths.parseWalSegmentName("00000001_10000000000000000.wal.lz4")).as("17 digits").isNull();
	}

	@Test
	void rejectsNamesThatAreNotWalSegments() {
		assertThat(ReplicaPaths.parseWalSegmentName("0000007a_0000103.wal.lz4")).as("7-digit offset").isNull();
		assertThat(ReplicaPaths.parseWalSegmentName("000007a_00001038.wal.lz4")).as("7-digit index").isNull();
		assertThat(ReplicaPaths.parseWalSegmentName("00000007a_00001038.wal.lz4")).as("9-digit index").isNull();
		assertThat(ReplicaPaths.parseWalSegmentName("0000007A_00001038.wal.lz4")).as("upper case").isNull();
		assertThat(ReplicaPaths.parseWalSegmentName("0000007a_00001038.wal.lz4.tmp")).as("temporary").isNull();
		assertThat(ReplicaPaths.parseWalSegmentName("0000007a-00001038.wal.lz4")).isNull();
		assertThat(ReplicaPaths.parseWalSegmentName("0000007a_00001038.wal")).isNull();
		assertThat(ReplicaPaths.parseWalSegmentName("0000007a.wal")).as("shadow WAL name").isNull();
		assertThat(ReplicaPaths.parseWalSegmentName("notes.txt")).isNull();
		assertThat(ReplicaPaths.parseWalSegmentName("")).isNull();
	}

	@Test
	void generationNamesAreSixteenLowercaseHexDigits() {
		assertThat(ReplicaPaths.isGenerationName(GEN)).isTrue();
		assertThat(ReplicaPaths.isGenerationName("ffffffffffffffff")).isTrue();
		assertThat(ReplicaPaths.isGenerationName("0123456789ABCDEF")).as("upper case").isFalse();
		assertThat(ReplicaPaths.isGenerationName("0123456789abcde")).as("15 digits").isFalse();
		assertThat(ReplicaPaths.isGenerationName("0123456789abcdef0")).as("17 digits").isFalse();
		assertThat(ReplicaPaths.isGenerationName("0123456789abcdeg")).isFalse();
		assertThat(ReplicaPaths.isGenerationName("../3456789abcdef")).isFalse();
		assertThat(ReplicaPaths.isGenerationName("xyz")).isFalse();
		assertThat(ReplicaPaths.isGenerationName("")).isFalse();
		assertThat(ReplicaPaths.isGenerationName(null)).isFalse();
	}

}
