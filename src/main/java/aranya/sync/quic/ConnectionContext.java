package aranya.sync.quic;

import aranya.sync.graph.GraphId;
import java.net.InetSocketAddress;

/** What a {@link SyncStreamHandler} knows about the QUIC connection a stream arrived on. */
public interface ConnectionContext {
    /** The peer's address as of the connection's first packet. */
    InetSocketAddress remoteAddress();

    /** Whether the peer has proved, on this connection, that it holds team's secret. */
    boolean isAuthenticated(GraphId team);
}
