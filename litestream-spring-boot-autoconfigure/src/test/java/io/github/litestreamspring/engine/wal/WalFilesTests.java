package io.github.litestreamspring.engine.wal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class WalFilesTests {

	@Test
	void alignedSizeIsZeroWithoutACompleteHeader() {
		assertThat(WalFiles.alignedSize(0, 4096)).isZero();
		assertThat(WalFiles.alignedSize(31, 4096)).isZero();
	}

	@Test
	void alignedSizeDropsAPartialFrame() {
		assertThat(WalFiles.alignedSize(32, 4096)).isEqualTo(32);
		assertThat(WalFiles.alignedSize(32 + 4119, 4096)).isEqualTo(32);
		assertThat(WalFiles.alignedSize(32 + 4120, 4096)).isEqualTo(32 + 4120);
		assertThat(WalFiles.alignedSize(32 + 3 * 4120 + 17, 4096)).isEqualTo(32 + 3 * 4120);
	}

	@Test
	void alignedSizeDoesNotOverflowForLargePages() {
		long frames = 100_000;
		long size = 32 + frames * (65536 + 24);
		assertThat(WalFiles.alignedSize(size + 5, 65536)).isEqualTo(size);
	}

	@Test
	void frameOffsetIsZeroBased() {
		assertThat(WalFiles.frameOffset(0, 4096)).isEqualTo(32);
		assertThat(WalFiles.frameOffset(2, 512)).isEqualTo(32 + 2 * 536);
		assertThat(WalFiles.frameOffset(40_000, 65536)).isEqualTo(32 + 40_000L * 65560);
	}

	@Test
	void frameAlignment() {
		assertThat(WalFiles.isFrameAligned(32, 4096)).isTrue();
		assertThat(WalFiles.isFrameAligned(32 + 4120, 4096)).isTrue();
		assertThat(WalFiles.isFrameAligned(0, 4096)).isFalse();
		assertThat(WalFiles.isFrameAligned(33, 4096)).isFalse();
	}

}
