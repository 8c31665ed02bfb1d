package io.github.litestreamspring.engine.lz4;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.function.Supplier;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.xxhash.XXHashFactory;

/**
 * Entry point for compressing and decompressing Litestream objects (snapshots and WAL segments).
 * <p>
 * Written frames start with the same 7 bytes as Litestream's ({@code 04 22 4D 18 64 70 B9}: 4 MiB
 * independent blocks, content checksum, no block checksums, no content size). Block checksums in
 * particular must stay off: Litestream v0.3 verifies them over the wrong bytes and would reject the
 * object.
 */
public final class Lz4Frames {

	/** The header Litestream writes, and so do we. */
	static final byte[] LITESTREAM_HEADER = { 0x04, 0x22, 0x4D, 0x18, 0x64, 0x70, (byte) 0xB9 };

	private Lz4Frames() {
	}

	/**
	 * Wrap a stream so that what is written to it is compressed into one LZ4 frame. Closing the
	 * returned stream writes the end mark and content checksum and closes {@code out}.
	 * @param out where the frame goes
	 * @return the compressing stream; the frame header has already been written to {@code out}
	 */
	public static OutputStream compressingStream(OutputStream out) {
		try {
			return new Lz4FrameOutputStream(out, Codecs.COMPRESSOR, Codecs.XXHASH.newStreamingHash32(0));
		}
		catch (IOException ex) {
			// Only the header write can fail here; keep the factory method easy to use in lambdas.
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Wrap a stream holding one LZ4 frame so that reading from it yields the decompressed bytes.
	 * Bytes after the frame are left unread. Errors surface as {@link Lz4FormatException} on read.
	 * @param in the compressed frame
	 * @return the decompressing stream; closing it closes {@code in}
	 */
	public static InputStream decompressingStream(InputStream in) {
		return new Lz4FrameInputStream(in, Codecs.DECOMPRESSOR, Codecs.XXHASH);
	}

	/**
	 * The codecs, resolved once. The JNI library is picked explicitly because
	 * {@code fastestInstance()} silently falls back to pure Java inside a Boot fat jar, and JNI is
	 * several times faster.
	 */
	static final class Codecs {

		static final LZ4Compressor COMPRESSOR = nativeOr(LZ4Factory::fastestJavaInstance).fastCompressor();

		/** Falls back to the safe (bounds-checked) Java decoder: its input comes from storage. */
		static final LZ4SafeDecompressor DECOMPRESSOR = nativeOr(LZ4Factory::safeInstance).safeDecompressor();

		static final XXHashFactory XXHASH = xxHashFactory();

		private Codecs() {
		}

		private static LZ4Factory nativeOr(Supplier<LZ4Factory> fallback) {
			try {
				return LZ4Factory.nativeInstance();
			}
			catch (Throwable ex) {
				// No native library for this platform, or it cannot be loaded: the Java codecs are
				// correct everywhere, only slower.
				return fallback.get();
			}
		}

		private static XXHashFactory xxHashFactory() {
			try {
				return XXHashFactory.nativeInstance();
			}
			catch (Throwable ex) {
				return XXHashFactory.safeInstance();
			}
		}

	}

}
