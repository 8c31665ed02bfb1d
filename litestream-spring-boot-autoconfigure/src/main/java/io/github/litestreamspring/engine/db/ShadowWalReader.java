package io.github.litestreamspring.engine.db;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.github.litestreamspring.engine.Pos;
import io.github.litestreamspring.engine.wal.WalFrameHeader;
import io.github.litestreamspring.engine.wal.WalHeader;

/**
 * Reads frames out of the shadow WAL: the bytes of one WAL segment of a shadow WAL file, frame by
 * frame, {@code [start, stop)},
 * with the WAL header first when {@code start} is 0. Every frame must carry the header's salts (a frame
 * of another WAL life is never shipped). Memory is one frame whatever the range's size, so a segment of
 * any length streams through {@link io.github.litestreamspring.engine.lz4.Lz4CompressingInputStream}
 * to the replica client.
 */
final class ShadowWalReader extends InputStream {

	private final FileChannel channel;

	private final Pos start;

	private final long stop;

	private final WalHeader header;

	private final ByteBuffer frame;

	/** The next byte of the range to hand out; frames are read whole when this reaches one. */
	private long offset;

	private byte[] pending;

	private int pendingPos;

	ShadowWalReader(Path shadowWal, Pos start, long stop, int pageSize) throws IOException {
		this.channel = FileChannel.open(shadowWal, StandardOpenOption.READ);
		try {
			this.start = start;
			this.stop = stop;
			this.frame = ByteBuffer.allocate(WalFrameHeader.SIZE + pageSize);
			ByteBuffer buf = ByteBuffer.allocate(WalHeader.SIZE);
			readFully(buf, 0, "shadow WAL header is incomplete");
			this.header = WalHeader.parse(buf.array(), 0);
			if (start.offset() == 0) {
				this.pending = this.header.toBytes();
				this.offset = WalHeader.SIZE;
			}
			else {
				this.offset = start.offset();
			}
		}
		catch (IOException | RuntimeException ex) {
			this.channel.close();
			throw ex;
		}
	}

	@Override
	public int read() throws IOException {
		byte[] one = new byte[1];
		int n = read(one, 0, 1);
		return (n < 0) ? -1 : (one[0] & 0xFF);
	}

	@Override
	public int read(byte[] b, int off, int len) throws IOException {
		if (len == 0) {
			return 0;
		}
		if (this.pending == null || this.pendingPos == this.pending.length) {
			if (this.offset >= this.stop) {
				return -1;
			}
			nextFrame();
		}
		int n = Math.min(len, this.pending.length - this.pendingPos);
		System.arraycopy(this.pending, this.pendingPos, b, off, n);
		this.pendingPos += n;
		return n;
	}

	private void nextFrame() throws IOException {
		this.frame.clear();
		readFully(this.frame, this.offset, "shadow WAL " + this.start + " ended at " + this.offset);
		WalFrameHeader fh = WalFrameHeader.parse(this.frame.array(), 0);
		if (fh.salt1() != this.header.salt1() || fh.salt2() != this.header.salt2()) {
			throw new IOException("replica salt mismatch in shadow WAL " + this.start + " at offset " + this.offset);
		}
		this.pending = this.frame.array();
		this.pendingPos = 0;
		this.offset += this.frame.capacity();
	}

	private void readFully(ByteBuffer buf, long position, String eofMessage) throws IOException {
		while (buf.hasRemaining()) {
			if (this.channel.read(buf, position + buf.position()) < 0) {
				throw new IOException(eofMessage);
			}
		}
	}

	@Override
	public void close() throws IOException {
		this.channel.close();
	}

}
