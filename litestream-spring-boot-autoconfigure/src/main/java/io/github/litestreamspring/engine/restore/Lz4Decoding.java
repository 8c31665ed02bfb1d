package io.github.litestreamspring.engine.restore;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

import io.github.litestreamspring.engine.lz4.Lz4Frames;

/** Opens an object's LZ4 frame for reading, counting compressed bytes towards restore progress. */
final class Lz4Decoding {

	private Lz4Decoding() {
	}

	static InputStream open(InputStream compressed, RestoreProgress progress, String name) throws IOException {
		return Lz4Frames.decompressingStream(new FilterInputStream(compressed) {
			@Override
			public int read() throws IOException {
				int b = super.read();
				if (b >= 0) {
					progress.add(1);
				}
				return b;
			}

			@Override
			public int read(byte[] b, int off, int len) throws IOException {
				int n = super.read(b, off, len);
				if (n > 0) {
					progress.add(n);
				}
				return n;
			}
		});
	}

}
