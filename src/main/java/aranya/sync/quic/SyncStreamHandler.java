package aranya.sync.quic;

import aranya.sync.protocol.MessageStream;

/**
 * Serves one sync stream that a peer opened. It runs on a virtual thread of its own; the
 * listener closes the stream after it returns, so the handler need not (but may). The handler
 * must check {@link ConnectionContext#isAuthenticated} for the team its first message names.
 */
@FunctionalInterface
public interface SyncStreamHandler {
    /** Serves stream: its first {@code receive()} returns the peer's first message. */
    void handle(MessageStream stream, ConnectionContext connection);
}
