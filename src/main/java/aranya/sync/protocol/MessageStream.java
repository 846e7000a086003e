package aranya.sync.protocol;

import aranya.sync.SyncException;
import java.io.IOException;
import java.util.Optional;

/**
 * One conversation with a peer as whole messages in both directions: a QUIC bidirectional
 * stream in production, an in-memory pipe in tests. Messages are delimited by the transport
 * (a u32 length prefix on QUIC), never by the end of the stream, which is what lets one stream
 * carry a request, responses, and a request back.
 *
 * <p>Every blocking call is bounded by the stream's deadline: when it passes, the transport
 * aborts the stream and the call fails with {@link aranya.sync.SyncError#TIMEOUT}.
 */
public interface MessageStream extends AutoCloseable {
    /**
     * Sends one message.
     *
     * @param message the whole message
     * @throws IOException if the stream fails
     * @throws SyncException TIMEOUT past the deadline, MESSAGE_TOO_LARGE for a message over the limit
     */
    void send(byte[] message) throws IOException, SyncException;

    /**
     * {@return the peer's next message, or empty once the peer has finished its send side}
     *
     * @throws SyncException MESSAGE_TOO_LARGE for a message over the limit, MALFORMED for a
     *     message cut short by the end of the stream, TIMEOUT past the deadline
     * @throws IOException if the stream fails
     */
    Optional<byte[]> receive() throws IOException, SyncException;

    /**
     * Finishes our send side: the peer's {@link #receive} returns empty after our last message.
     *
     * @throws IOException if the stream fails
     * @throws SyncException TIMEOUT past the deadline
     */
    void finish() throws IOException, SyncException;

    /** {@return a name for the peer, for logs and the peer cache (for example "127.0.0.1:4433")} */
    String peer();

    /** Aborts whatever is still open in both directions; idempotent. */
    @Override
    void close();
}
