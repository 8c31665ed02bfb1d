package io.github.litestreamspring.engine.wal;

import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class WalChecksumTests {

	@Test
	void packAndUnpackRoundTripIncludingNegativeWords() {
		long packed = WalChecksum.pack(0x89ABCDEF, 0xFEDCBA98);
		assertThat(packed).isEqualTo(0x89ABCDEFFEDCBA98L);
		assertThat(WalChecksum.s0(packed)).isEqualTo(0x89ABCDEF);
		assertThat(WalChecksum.s1(packed)).isEqualTo(0xFEDCBA98);
	}

	@Test
	void littleEndianReadsWordsLeastSignificantByteFirst() {
		byte[] data = { 1, 0, 0, 0, 2, 0, 0, 0 };
		long sum = WalChecksum.update(false, 0, data, 0, 8);
		// s0 = 0 + 1 + 0 = 1; s1 = 0 + 2 + 1 = 3
		assertThat(WalChecksum.s0(sum)).isEqualTo(1);
		assertThat(WalChecksum.s1(sum)).isEqualTo(3);
	}

	@Test
	void bigEndianReadsWordsMostSignificantByteFirst() {
		byte[] data = { 1, 0, 0, 0, 2, 0, 0, 0 };
		long sum = WalChecksum.update(true, 0, data, 0, 8);
		assertThat(WalChecksum.s0(sum)).isEqualTo(0x01000000);
		assertThat(WalChecksum.s1(sum)).isEqualTo(0x03000000);
	}

	@Test
	void sumsWrapAroundAt32Bits() {
		byte[] data = { 0, 0, 0, 2, 0, 0, 0, 0 };
		long sum = WalChecksum.update(true, WalChecksum.pack(0xFFFFFFFF, 0), data, 0, 8);
		// s0 = 0xFFFFFFFF + 2 + 0 = 1 (mod 2^32); s1 = 0 + 0 + 1 = 1
		assertThat(sum).isEqualTo(WalChecksum.pack(1, 1));
	}

	@Test
	void updateContinuesFromSeedLikeOneLongUpdate() {
		byte[] data = new byte[64];
		new Random(7).nextBytes(data);
		long whole = WalChecksum.update(false, 0, data, 0, 64);
		long split = WalChecksum.update(false, WalChecksum.update(false, 0, data, 0, 24), data, 24, 40);
		assertThat(split).isEqualTo(whole);
	}

	@Test
	void honoursOffset() {
		byte[] data = { 9, 9, 9, 1, 0, 0, 0, 2, 0, 0, 0 };
		assertThat(WalChecksum.update(false, 0, data, 3, 8)).isEqualTo(WalChecksum.pack(1, 3));
	}

	@Test
	void rejectsLengthThatIsNotAMultipleOf8() {
		assertThatIllegalArgumentException().isThrownBy(() -> WalChecksum.update(false, 0, new byte[12], 0, 12));
	}

}
