package aranya.sync.control;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * Frames on a control socket, {@code u8 type | u32 length | body}, with a deadline on every
 * read and write: the channel is non-blocking and waits in a selector, because a blocking
 * socket channel has no timeout.
 */
final class ControlChannel implements AutoCloseable {
    /** The client's request ({@link ControlRequest}). */
    static final byte REQUEST = 1;
    /** Bytes the command wrote to its standard output. */
    static final byte OUT = 2;
    /** Bytes the command wrote to its standard error. */
    static final byte ERR = 3;
    /** The command's exit code (u32); the last frame. */
    static final byte EXIT = 4;
    /** Sent while a command runs without output, so the client knows the node is alive. */
    static final byte ALIVE = 5;

    /** One received frame. */
    record Frame(byte type, byte[] body) {}

    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;

    ControlChannel(SocketChannel channel) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        this.key = channel.register(selector, 0);
    }

    /** Writes one frame, waiting at most timeout for the peer to take it. */
    synchronized void write(byte type, byte[] body, int offset, int length, Duration timeout) throws IOException {
        ByteBuffer frame = ByteBuffer.allocate(5 + length).put(type).putInt(length).put(body, offset, length).flip();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (frame.hasRemaining()) {
            if (channel.write(frame) == 0) {
                await(SelectionKey.OP_WRITE, deadline, "write to");
            }
        }
    }

    /** Reads one frame of at most maxBody bytes, waiting at most timeout for it. */
    Frame read(int maxBody, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteBuffer header = ByteBuffer.allocate(5);
        fill(header, deadline);
        int length = header.getInt(1);
        if (length < 0 || length > maxBody) {
            throw new IOException("control frame of " + Integer.toUnsignedLong(length) + " bytes, more than " + maxBody);
        }
        ByteBuffer body = ByteBuffer.allocate(length);
        fill(body, deadline);
        return new Frame(header.get(0), body.array());
    }

    private void fill(ByteBuffer buffer, long deadline) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer);
            if (n < 0) {
                throw new EOFException("the other end closed the control connection");
            }
            if (n == 0) {
                await(SelectionKey.OP_READ, deadline, "read from");
            }
        }
    }

    private void await(int op, long deadline, String what) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("timed out waiting to " + what + " the control socket");
        }
        key.interestOps(op);
        selector.select(Math.max(1, left / 1_000_000));
        selector.selectedKeys().clear();
        key.interestOps(0);
    }

    @Override
    public void close() throws IOException {
        try {
            selector.close();
        } finally {
            channel.close();
        }
    }
}
