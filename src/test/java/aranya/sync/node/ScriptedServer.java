package aranya.sync.node;

import aranya.sync.graph.Bytes;
import aranya.sync.graph.GraphId;
import aranya.sync.peers.PeerAddress;
import aranya.sync.protocol.MessageStream;
import aranya.sync.quic.NodeIdentity;
import aranya.sync.quic.SyncListener;
import aranya.sync.quic.SyncStreamHandler;
import aranya.sync.quic.TransportConfig;
import aranya.sync.wire.MessageCodec;
import aranya.sync.wire.ResponseEnvelope;
import aranya.sync.wire.SyncResponseMessage;
import aranya.sync.wire.SyncType;
import java.io.IOException;
import java.util.Optional;

/**
 * A sync server over real QUIC that runs a test's script instead of a SyncSession, to play a
 * peer that misbehaves as a server: it authenticates clients like any node (it holds the team
 * secret), reads each client's Poll and hands the stream to the script.
 */
final class ScriptedServer implements AutoCloseable {
    /** The server's part of one session, from just after the client's Poll. */
    interface Script {
        void run(MessageStream stream, SyncType.Poll poll) throws Exception;
    }

    private final SyncListener listener;

    private ScriptedServer(SyncListener listener) {
        this.listener = listener;
    }

    static ScriptedServer start(GraphId team, byte[] secret, TransportConfig config, Script script) throws IOException {
        SyncStreamHandler handler = (stream, connection) -> {
            try {
                byte[] poll = stream.receive().orElseThrow();
                script.run(stream, (SyncType.Poll) MessageCodec.decodeSyncType(poll, 0, poll.length));
            } catch (Exception e) {
                stream.close();
            }
        };
        return new ScriptedServer(SyncListener.start(Nodes.LOOPBACK, NodeIdentity.generate(),
                t -> t.equals(team) ? Optional.of(secret.clone()) : Optional.empty(), handler, config));
    }

    PeerAddress address() {
        return PeerAddress.of(listener.localAddress());
    }

    /** m in the Ok envelope that responses travel in. */
    static byte[] ok(SyncResponseMessage m) {
        return MessageCodec.encode(new ResponseEnvelope.Ok(Bytes.of(MessageCodec.encode(m))));
    }

    @Override
    public void close() {
        listener.close();
    }
}
