package aranya.sync.wire;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads the frames that {@link FrameWriter} writes: a {@code u32} big-endian length, then that
 * many bytes of message.
 * <pre>
 *   +--------+--------+--------+--------+----------------------+
 *   |        length (u32, big-endian)   |  message (length B)  |
 *   +--------+--------+--------+--------+----------------------+
 * </pre>
 * The peer is not trusted: a length above the maximum is refused before any of the message is
 * read, and the message buffer grows only as bytes arrive, so a peer that claims a large frame
 * and sends little makes us allocate little. Failures of the stream itself stay
 * {@link IOException}s; the caller decides what a transport failure means.
 */
public final class FrameReader {
    /** The first buffer for a message and the step it grows by; at most this much is allocated ahead of data. */
    private static final int CHUNK = 64 * 1024;

    private final InputStream in;
    private final int maxFrame;

    /** A reader of frames of at most maxFrame bytes (not counting the length prefix). */
    public FrameReader(InputStream in, int maxFrame) {
        this.in = Objects.requireNonNull(in, "in");
        if (maxFrame < 0) {
            throw new IllegalArgumentException("maxFrame must be >= 0, got " + maxFrame);
        }
        this.maxFrame = maxFrame;
    }

    /**
     * Reads the next message.
     *
     * @return the message, or empty if the stream ended cleanly, exactly between two frames
     * @throws SyncException {@link SyncError#MALFORMED} if the stream ends inside a frame;
     *     {@link SyncError#MESSAGE_TOO_LARGE} if the length exceeds the maximum
     * @throws IOException if the stream fails
     */
    public Optional<byte[]> readFrame() throws IOException, SyncException {
        int first = in.read();
        if (first < 0) {
            return Optional.empty();
        }
        byte[] header = new byte[FrameWriter.HEADER_LENGTH];
        header[0] = (byte) first;
        readFully(header, 1, FrameWriter.HEADER_LENGTH - 1, "length prefix");
        long length = ((header[0] & 0xFFL) << 24) | ((header[1] & 0xFF) << 16) | ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
        if (length > maxFrame) {
            throw new SyncException(SyncError.MESSAGE_TOO_LARGE,
                    "frame of " + length + " bytes exceeds the maximum of " + maxFrame);
        }
        return Optional.of(readMessage((int) length));
    }

    /**
     * Checks that the peer has finished: the stream must end here.
     *
     * @throws SyncException {@link SyncError#UNEXPECTED_MESSAGE} if more bytes follow
     * @throws IOException if the stream fails
     */
    public void expectEnd() throws IOException, SyncException {
        if (in.read() >= 0) {
            throw new SyncException(SyncError.UNEXPECTED_MESSAGE, "the peer sent more after its last message");
        }
    }

    /** Reads a message of the given length into a buffer that grows one chunk at a time, as its bytes arrive. */
    private byte[] readMessage(int length) throws IOException, SyncException {
        byte[] message = new byte[0];
        while (message.length < length) {
            int filled = message.length;
            message = Arrays.copyOf(message, Math.min(length, filled + CHUNK));
            readFully(message, filled, message.length - filled, length + "-byte message");
        }
        return message;
    }

    private void readFully(byte[] buffer, int offset, int count, String part) throws IOException, SyncException {
        for (int done = 0; done < count; ) {
            int n = in.read(buffer, offset + done, count - done);
            if (n < 0) {
                throw new SyncException(SyncError.MALFORMED,
                        "truncated frame: the stream ended " + (offset + done) + " bytes into the " + part);
            }
            done += n;
        }
    }
}
