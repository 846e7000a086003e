package aranya.sync.wire;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

/**
 * Writes messages to a stream as frames: a {@code u32} big-endian length, then the message
 * (Aranya daemon {@code sync/transport/quic/stream.rs}). Because every message carries its
 * length, neither side needs the end of the stream to find where a message ends, which is what
 * lets one stream carry a request and a response in each direction (bidirectional sync).
 * The mirror of {@link FrameReader}. The caller owns the stream and closes it.
 */
public final class FrameWriter {
    /** Bytes in a frame's length prefix. */
    static final int HEADER_LENGTH = 4;

    private final OutputStream out;
    private final int maxFrame;

    /** A writer of frames of at most maxFrame bytes (not counting the length prefix). */
    public FrameWriter(OutputStream out, int maxFrame) {
        this.out = Objects.requireNonNull(out, "out");
        if (maxFrame < 0) {
            throw new IllegalArgumentException("maxFrame must be >= 0, got " + maxFrame);
        }
        this.maxFrame = maxFrame;
    }

    /**
     * Writes one message as a frame, in one {@code write} call, and flushes it, so the peer can
     * act on it at once.
     *
     * @throws SyncException {@link SyncError#MESSAGE_TOO_LARGE} if the message exceeds the
     *     maximum; the peer would refuse it, so our own oversized message fails here, loudly
     * @throws IOException if the stream fails
     */
    public void writeFrame(byte[] message) throws IOException, SyncException {
        if (message.length > maxFrame) {
            throw new SyncException(SyncError.MESSAGE_TOO_LARGE,
                    "frame of " + message.length + " bytes exceeds the maximum of " + maxFrame);
        }
        // Prefix and message go down in one write: over QUIC, a write on its own can leave as a
        // packet of its own (kwik sends as soon as its sender thread wakes), and every extra
        // packet on a lossy path is one more chance of a loss that halves the congestion window.
        int length = message.length;
        byte[] frame = new byte[HEADER_LENGTH + length];
        frame[0] = (byte) (length >>> 24);
        frame[1] = (byte) (length >>> 16);
        frame[2] = (byte) (length >>> 8);
        frame[3] = (byte) length;
        System.arraycopy(message, 0, frame, HEADER_LENGTH, length);
        out.write(frame);
        out.flush();
    }
}
