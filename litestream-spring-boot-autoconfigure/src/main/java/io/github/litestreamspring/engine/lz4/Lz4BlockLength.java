package io.github.litestreamspring.engine.lz4;

/**
 * The decoded length of an LZ4 block, read from its sequence headers without decoding it: an LZ4 frame
 * does not store it, and knowing it lets the decoder allocate exactly the output it needs.
 */
final class Lz4BlockLength {

	private Lz4BlockLength() {
	}

	/**
	 * The decoded length of the LZ4 block in the first {@code size} bytes of {@code block}: the sum of
	 * its sequences' literal and match lengths, read from their headers without decoding (literals are
	 * skipped, matches are not followed). {@code -1} if the sequences do not end exactly at the block's
	 * end with literals, as the format requires, or add up to more than {@code max}.
	 */
	static int of(byte[] block, int size, int max) {
		int i = 0;
		long length = 0;
		while (i < size) {
			int token = block[i++] & 0xFF;
			long literals = token >>> 4;
			if (literals == 15) {
				int b;
				do {
					if (i >= size) {
						return -1;
					}
					b = block[i++] & 0xFF;
					literals += b;
				}
				while (b == 255);
			}
			if (literals > size - i) {
				return -1;
			}
			i += (int) literals;
			length += literals;
			if (i == size) {
				return (length <= max) ? (int) length : -1;
			}
			// a match: a 2-byte offset, then the length's extra bytes
			i += 2;
			long match = (token & 0x0F) + 4L;
			if ((token & 0x0F) == 15) {
				int b;
				do {
					if (i >= size) {
						return -1;
					}
					b = block[i++] & 0xFF;
					match += b;
				}
				while (b == 255);
			}
			length += match;
			if (length > max) {
				return -1;
			}
		}
		// An empty block (size 0) decodes to nothing; any other block must end with literals.
		return (size == 0) ? 0 : -1;
	}

}
