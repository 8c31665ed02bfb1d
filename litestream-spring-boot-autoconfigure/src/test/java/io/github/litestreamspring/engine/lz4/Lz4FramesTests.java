package io.github.litestreamspring.engine.lz4;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;

import com.sun.management.ThreadMXBean;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;
import net.jpountz.lz4.LZ4FrameOutputStream.BLOCKSIZE;
import net.jpountz.lz4.LZ4FrameOutputStream.FLG;
import net.jpountz.xxhash.XXHashFactory;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIOException;

class Lz4FramesTests {

	private static final int MIB = 1024 * 1024;

	private static final byte[] EMPTY_BLOCK = { 0x00, 0x00, 0x00, (byte) 0x80 };

	@Test
	void roundTripsEmptyInput() throws IOException {
		assertRoundTrip(new byte[0]);
	}

	@Test
	void roundTripsOneByte() throws IOException {
		assertRoundTrip(new byte[] { 42 });
	}

	@Test
	void roundTripsOneMebibyteOfRandomData() throws IOException {
		assertRoundTrip(random(MIB, 1));
	}

	@Test
	void roundTripsOneMebibyteOfCompressibleData() throws IOException {
		byte[] data = compressible(MIB, 2);
		byte[] compressed = compress(data);
		assertThat(compressed.length).isLessThan(data.length / 2);
		assertRoundTrip(data);
	}

	@Test
	void roundTripsABlockThatDecodesToFarMoreThanTheFirstBufferGuess() throws IOException {
		// 4 MiB of zeros compress to a few KiB: the output buffer has to grow several times.
		byte[] data = new byte[4 * MIB];
		byte[] compressed = compress(data);
		assertThat(compressed.length).isLessThan(MIB / 4);
		assertRoundTrip(data);
	}

	@Test
	void aBlocksDecodedLengthIsReadFromTheSequenceHeadersOfEveryKindOfBlock() {
		LZ4Factory codecs = LZ4Factory.fastestInstance();
		byte[] mixed = compressible(MIB, 22);
		System.arraycopy(random(100_000, 23), 0, mixed, 300_000, 100_000);
		byte[][] inputs = { new byte[0], new byte[] { 7 }, new byte[4 * MIB], random(MIB, 24), compressible(MIB, 25),
				mixed, Arrays.copyOf(compressible(4096, 26), 70_000) };
		for (byte[] data : inputs) {
			for (LZ4Compressor compressor : new LZ4Compressor[] { codecs.fastCompressor(), codecs.highCompressor() }) {
				byte[] block = compressor.compress(data);
				assertThat(Lz4BlockLength.of(block, block.length, 4 * MIB)).as("%d bytes", data.length)
					.isEqualTo(data.length);
				if (data.length > 0) {
					assertThat(Lz4BlockLength.of(block, block.length, data.length - 1))
						.as("more than the frame's block maximum").isEqualTo(-1);
				}
			}
		}
	}

	@Test
	void aBlockThatEndsInsideASequenceHasNoDecodedLength() {
		byte[] block = LZ4Factory.fastestInstance().fastCompressor().compress(compressible(100_000, 27));
		// cut inside the last sequence's literals, and one byte after a match's offset
		assertThat(Lz4BlockLength.of(block, block.length - 1, 4 * MIB)).isEqualTo(-1);
		assertThat(Lz4BlockLength.of(new byte[] { 0x10, 'a', 1, 0 }, 4, 4 * MIB))
			.as("ends with a match, not literals").isEqualTo(-1);
		assertThat(Lz4BlockLength.of(new byte[] { (byte) 0xF0 }, 1, 4 * MIB))
			.as("literal length continues past the end").isEqualTo(-1);
	}

	@Test
	void roundTripsBlocksOfVeryDifferentSizesInOneFrame() throws IOException {
		byte[] data = new byte[8 * MIB + 100];
		System.arraycopy(random(MIB, 21), 0, data, 4 * MIB, MIB);
		assertRoundTrip(data);
	}

	@Test
	void detectsAFlippedByteInAHighlyCompressedBlock() throws IOException {
		byte[] data = new byte[2 * MIB];
		data[MIB] = 1;
		byte[] compressed = compress(data);
		compressed[compressed.length / 2] ^= 0x40;
		assertThatExceptionOfType(Lz4FormatException.class).isThrownBy(() -> decompress(compressed))
			.withMessageMatching("(corrupt LZ4 block|LZ4 content checksum mismatch).*");
	}

	@Test
	void decodingASmallFrameDoesNotAllocateBuffersOfTheFramesBlockMaximum() throws IOException {
		// A WAL segment of a few pages in a frame that declares 4 MiB blocks, as Litestream writes it.
		byte[] compressed = compress(compressible(8232, 22));
		decompress(compressed); // load classes and native code first
		ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
		long before = threads.getCurrentThreadAllocatedBytes();
		for (int i = 0; i < 100; i++) {
			decompress(compressed);
		}
		long perFrame = (threads.getCurrentThreadAllocatedBytes() - before) / 100;
		assertThat(perFrame).as("bytes allocated per decoded frame").isLessThan(MIB / 4);
	}

	@Test
	void writesTheBytesLz4JavasFrameWriterWritesWithLitestreamsSettings() throws IOException {
		int[] sizes = { 0, 1, 8232, 4 * MIB - 1, 4 * MIB, 4 * MIB + 1, 9 * MIB + 5 };
		for (int size : sizes) {
			for (byte[] data : new byte[][] { compressible(size, 31), random(size, 32) }) {
				assertThat(compress(data)).as("frame of %d bytes, one write", size).isEqualTo(lz4Java(data, 0));
				assertThat(compressInPieces(data, 1000)).as("frame of %d bytes, 1000-byte writes", size)
					.isEqualTo(lz4Java(data, 1000));
			}
		}
	}

	@Test
	void writesTheSameBytesAsLz4JavaAcrossAFlush() throws IOException {
		byte[] data = compressible(3 * MIB, 33);
		ByteArrayOutputStream ours = new ByteArrayOutputStream();
		try (OutputStream lz4 = Lz4Frames.compressingStream(ours)) {
			lz4.write(data, 0, MIB);
			lz4.flush();
			lz4.write(data, MIB, data.length - MIB);
		}
		ByteArrayOutputStream theirs = new ByteArrayOutputStream();
		try (OutputStream lz4 = new LZ4FrameOutputStream(theirs, BLOCKSIZE.SIZE_4MB, -1L,
				FLG.Bits.BLOCK_INDEPENDENCE, FLG.Bits.CONTENT_CHECKSUM)) {
			lz4.write(data, 0, MIB);
			lz4.flush();
			lz4.write(data, MIB, data.length - MIB);
		}
		assertThat(ours.toByteArray()).isEqualTo(theirs.toByteArray());
	}

	@Test
	void encodingASmallSegmentDoesNotAllocateBuffersOfTheFramesBlockMaximum() throws IOException {
		// One commit's WAL segment: low-latency shipping writes many of these a second.
		byte[] data = compressible(8232, 34);
		compress(data); // load classes and native code first
		ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
		long before = threads.getCurrentThreadAllocatedBytes();
		for (int i = 0; i < 100; i++) {
			compress(data);
		}
		long perFrame = (threads.getCurrentThreadAllocatedBytes() - before) / 100;
		assertThat(perFrame).as("bytes allocated per encoded frame").isLessThan(MIB / 4);
	}

	/** lz4-java's own frame writer with Litestream's settings; {@code piece} > 0 writes in pieces. */
	private static byte[] lz4Java(byte[] data, int piece) throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try (OutputStream lz4 = new LZ4FrameOutputStream(out, BLOCKSIZE.SIZE_4MB, -1L, FLG.Bits.BLOCK_INDEPENDENCE,
				FLG.Bits.CONTENT_CHECKSUM)) {
			writeInPieces(lz4, data, piece);
		}
		return out.toByteArray();
	}

	private static byte[] compressInPieces(byte[] data, int piece) throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try (OutputStream lz4 = Lz4Frames.compressingStream(out)) {
			writeInPieces(lz4, data, piece);
		}
		return out.toByteArray();
	}

	private static void writeInPieces(OutputStream out, byte[] data, int piece) throws IOException {
		if (piece <= 0) {
			out.write(data);
			return;
		}
		for (int off = 0; off < data.length; off += piece) {
			out.write(data, off, Math.min(piece, data.length - off));
		}
	}

	@Test
	void roundTripsExactlyOneBlock() throws IOException {
		assertRoundTrip(compressible(4 * MIB, 3));
	}

	@Test
	void roundTripsSeveralBlocksAndARemainder() throws IOException {
		byte[] data = compressible(8 * MIB + 17, 4);
		// Make the middle block incompressible, so raw and compressed blocks are mixed.
		System.arraycopy(random(4 * MIB, 5), 0, data, 4 * MIB, 4 * MIB);
		assertRoundTrip(data);
	}

	@Test
	void storesIncompressibleDataAsARawBlock() throws IOException {
		byte[] data = random(MIB, 6);
		byte[] compressed = compress(data);
		int sizeWord = intLittleEndian(compressed, 7);
		assertThat(sizeWord & 0x80000000).as("uncompressed bit").isNotZero();
		assertThat(sizeWord & 0x7FFFFFFF).isEqualTo(MIB);
		assertThat(decompress(compressed)).isEqualTo(data);
	}

	@Test
	void writesLitestreamsFrameHeader() throws IOException {
		byte[] expected = { 0x04, 0x22, 0x4D, 0x18, 0x64, 0x70, (byte) 0xB9 };
		assertThat(Arrays.copyOf(compress(new byte[0]), 7)).containsExactly(expected);
		assertThat(Arrays.copyOf(compress(compressible(5 * MIB, 7)), 7)).containsExactly(expected);
		assertThat(Lz4Frames.LITESTREAM_HEADER).containsExactly(expected);
	}

	@Test
	void writesFramesThatLz4JavaCanRead() throws IOException {
		byte[] data = compressible(5 * MIB, 8);
		try (InputStream in = new LZ4FrameInputStream(new ByteArrayInputStream(compress(data)))) {
			assertThat(in.readAllBytes()).isEqualTo(data);
		}
	}

	@Test
	void treatsAnEmptyUncompressedBlockAsABlockNotAsTheEndMark() throws IOException {
		byte[] data = compressible(4 * MIB, 9);
		byte[] spliced = spliceEmptyBlockBeforeEndMark(compress(data));
		assertThat(decompress(spliced)).isEqualTo(data);
	}

	@Test
	void lz4JavaCannotReadAnEmptyUncompressedBlock() throws IOException {
		// Why this package has its own decoder: Litestream writes this block for every snapshot
		// whose size is a multiple of 4 MiB, and lz4-java takes it for the end mark.
		byte[] spliced = spliceEmptyBlockBeforeEndMark(compress(compressible(4 * MIB, 10)));
		assertThatIOException().isThrownBy(() -> {
			try (InputStream in = new LZ4FrameInputStream(new ByteArrayInputStream(spliced))) {
				in.readAllBytes();
			}
		}).withMessageContaining("Content checksum mismatch");
		// If this starts failing after an lz4-java upgrade, the upgrade fixed it: see Lz4FrameInputStream.
	}

	@Test
	void reportsTruncation() throws IOException {
		byte[] compressed = compress(compressible(MIB, 11));
		for (int length : new int[] { 3, 5, 7, 9, compressed.length / 2, compressed.length - 4,
				compressed.length - 1 }) {
			byte[] truncated = Arrays.copyOf(compressed, length);
			assertThatExceptionOfType(Lz4FormatException.class).as("cut at %d", length)
				.isThrownBy(() -> decompress(truncated))
				.withMessageContaining("truncated LZ4 frame");
		}
	}

	@Test
	void reportsEmptyInputAsTruncated() {
		assertThatExceptionOfType(Lz4FormatException.class).isThrownBy(() -> decompress(new byte[0]))
			.withMessageContaining("truncated LZ4 frame");
	}

	@Test
	void rejectsBadMagic() throws IOException {
		byte[] compressed = compress(new byte[] { 1, 2, 3 });
		compressed[0] = 0x05;
		assertThatExceptionOfType(Lz4FormatException.class).isThrownBy(() -> decompress(compressed))
			.withMessage("not an LZ4 frame (bad magic 0x184D2205)");
	}

	@Test
	void detectsAFlippedByteInCompressedData() throws IOException {
		byte[] data = compressible(MIB, 12);
		byte[] compressed = compress(data);
		compressed[compressed.length / 2] ^= 0x10;
		assertThatExceptionOfType(Lz4FormatException.class).isThrownBy(() -> decompress(compressed))
			.withMessageMatching("(corrupt LZ4 block|LZ4 content checksum mismatch).*");
	}

	@Test
	void detectsAFlippedByteInARawBlockByTheContentChecksum() throws IOException {
		byte[] compressed = compress(random(1000, 13));
		compressed[500] ^= 0x01;
		assertThatExceptionOfType(Lz4FormatException.class).isThrownBy(() -> decompress(compressed))
			.withMessage("LZ4 content checksum mismatch");
	}

	@Test
	void detectsACorruptHeaderChecksum() throws IOException {
		byte[] compressed = compress(new byte[] { 1 });
		compressed[6] ^= 0x01;
		assertThatExceptionOfType(Lz4FormatException.class).isThrownBy(() -> decompress(compressed))
			.withMessageContaining("header checksum");
	}

	@Test
	void ignoresBytesAfterTheFrame() throws IOException {
		byte[] data = compressible(100_000, 14);
		byte[] compressed = compress(data);
		byte[] withTrailer = Arrays.copyOf(compressed, compressed.length + 5);
		ByteArrayInputStream source = new ByteArrayInputStream(withTrailer);
		InputStream in = Lz4Frames.decompressingStream(source);
		assertThat(in.readAllBytes()).isEqualTo(data);
		assertThat(in.read()).isEqualTo(-1);
		assertThat(source.available()).as("trailing bytes left unread").isEqualTo(5);
	}

	@Test
	void skipsSkippableFramesBeforeTheFrame() throws IOException {
		byte[] data = compressible(10_000, 15);
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		out.write(new byte[] { 0x53, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 9, 9, 9 });
		out.write(compress(data));
		assertThat(decompress(out.toByteArray())).isEqualTo(data);
	}

	@Test
	void readsLz4JavaFramesWithContentSize() throws IOException {
		byte[] data = compressible(3 * MIB, 16);
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try (OutputStream lz4 = new LZ4FrameOutputStream(out, BLOCKSIZE.SIZE_1MB, data.length,
				FLG.Bits.BLOCK_INDEPENDENCE, FLG.Bits.CONTENT_SIZE, FLG.Bits.CONTENT_CHECKSUM)) {
			lz4.write(data);
		}
		assertThat(decompress(out.toByteArray())).isEqualTo(data);
	}

	@Test
	void readsLz4JavaFramesWithSmallBlocksAndBlockChecksums() throws IOException {
		byte[] data = compressible(MIB + 3, 17);
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try (OutputStream lz4 = new LZ4FrameOutputStream(out, BLOCKSIZE.SIZE_64KB, FLG.Bits.BLOCK_INDEPENDENCE,
				FLG.Bits.BLOCK_CHECKSUM)) {
			lz4.write(data);
		}
		byte[] compressed = out.toByteArray();
		assertThat(decompress(compressed)).isEqualTo(data);
		// No content checksum here: the block checksum is what catches the corruption.
		compressed[compressed.length / 2] ^= 0x01;
		assertThatExceptionOfType(Lz4FormatException.class).isThrownBy(() -> decompress(compressed))
			.withMessageMatching("(corrupt LZ4 block|LZ4 block checksum mismatch).*");
	}

	@Test
	void readsBlockChecksumsComputedOverDecodedBytesAsPierrecWritesThem() throws IOException {
		int blockSize = 64 * 1024;
		byte[] data = compressible(3 * blockSize + 5, 20);
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try (OutputStream lz4 = new LZ4FrameOutputStream(out, BLOCKSIZE.SIZE_64KB, FLG.Bits.BLOCK_INDEPENDENCE,
				FLG.Bits.BLOCK_CHECKSUM)) {
			lz4.write(data);
		}
		byte[] frame = out.toByteArray();
		int pos = 7;
		for (int block = 0;; block++) {
			int sizeWord = intLittleEndian(frame, pos);
			if (sizeWord == 0) {
				break;
			}
			pos += 4 + (sizeWord & 0x7FFFFFFF);
			int from = block * blockSize;
			int checksum = XXHashFactory.safeInstance()
				.hash32()
				.hash(data, from, Math.min(blockSize, data.length - from), 0);
			frame[pos] = (byte) checksum;
			frame[pos + 1] = (byte) (checksum >>> 8);
			frame[pos + 2] = (byte) (checksum >>> 16);
			frame[pos + 3] = (byte) (checksum >>> 24);
			pos += 4;
		}
		assertThat(decompress(frame)).isEqualTo(data);
	}

	@Test
	void rejectsLinkedBlocksClearly() throws IOException {
		// FLG 0x44: version 1, content checksum, blocks NOT independent; BD 0x70.
		byte[] descriptor = { 0x44, 0x70 };
		int hc = (XXHashFactory.safeInstance().hash32().hash(descriptor, 0, 2, 0) >>> 8) & 0xFF;
		byte[] frame = { 0x04, 0x22, 0x4D, 0x18, 0x44, 0x70, (byte) hc, 0, 0, 0, 0, 0, 0, 0, 0 };
		assertThatExceptionOfType(Lz4FormatException.class).isThrownBy(() -> decompress(frame))
			.withMessageContaining("linked LZ4 blocks are not supported");
	}

	@Test
	void readsThroughAStreamThatReturnsOneByteAtATime() throws IOException {
		byte[] data = compressible(300_000, 18);
		InputStream trickle = new FilterInputStream(new ByteArrayInputStream(compress(data))) {
			@Override
			public int read(byte[] b, int off, int len) throws IOException {
				return super.read(b, off, Math.min(len, 1));
			}
		};
		try (InputStream in = Lz4Frames.decompressingStream(trickle)) {
			assertThat(in.readAllBytes()).isEqualTo(data);
		}
	}

	@Test
	void singleByteReadsMatchBulkReads() throws IOException {
		byte[] data = compressible(70_000, 19);
		try (InputStream in = Lz4Frames.decompressingStream(new ByteArrayInputStream(compress(data)))) {
			ByteArrayOutputStream out = new ByteArrayOutputStream();
			int b;
			while ((b = in.read()) != -1) {
				out.write(b);
			}
			assertThat(out.toByteArray()).isEqualTo(data);
		}
	}

	private static void assertRoundTrip(byte[] data) throws IOException {
		byte[] compressed = compress(data);
		assertThat(Arrays.copyOf(compressed, 7)).containsExactly(Lz4Frames.LITESTREAM_HEADER);
		assertThat(decompress(compressed)).isEqualTo(data);
	}

	private static byte[] compress(byte[] data) throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try (OutputStream lz4 = Lz4Frames.compressingStream(out)) {
			lz4.write(data);
		}
		return out.toByteArray();
	}

	private static byte[] decompress(byte[] compressed) throws IOException {
		try (InputStream in = Lz4Frames.decompressingStream(new ByteArrayInputStream(compressed))) {
			return in.readAllBytes();
		}
	}

	/** Insert {@code 00 00 00 80} before the end mark and content checksum (the last 8 bytes). */
	private static byte[] spliceEmptyBlockBeforeEndMark(byte[] frame) {
		assertThat(Arrays.copyOfRange(frame, frame.length - 8, frame.length - 4)).containsExactly(0, 0, 0, 0);
		byte[] spliced = new byte[frame.length + 4];
		System.arraycopy(frame, 0, spliced, 0, frame.length - 8);
		System.arraycopy(EMPTY_BLOCK, 0, spliced, frame.length - 8, 4);
		System.arraycopy(frame, frame.length - 8, spliced, frame.length - 4, 8);
		return spliced;
	}

	private static byte[] random(int size, long seed) {
		byte[] data = new byte[size];
		new Random(seed).nextBytes(data);
		return data;
	}

	/** Text-like data: words from a small vocabulary, so LZ4 finds matches but not trivially. */
	private static byte[] compressible(int size, long seed) {
		String[] words = { "sqlite ", "wal ", "frame ", "page ", "litestream ", "replica ", "snapshot ", "s3 ",
				"generation ", "index ", "offset ", "checksum " };
		Random random = new Random(seed);
		byte[] data = new byte[size];
		int i = 0;
		while (i < size) {
			byte[] word = words[random.nextInt(words.length)].getBytes();
			int n = Math.min(word.length, size - i);
			System.arraycopy(word, 0, data, i, n);
			i += n;
		}
		return data;
	}

	private static int intLittleEndian(byte[] b, int off) {
		return (b[off] & 0xFF) | ((b[off + 1] & 0xFF) << 8) | ((b[off + 2] & 0xFF) << 16) | ((b[off + 3] & 0xFF) << 24);
	}

}
