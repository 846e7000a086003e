package aranya.sync.quic;

import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicStream;

/**
 * A kwik client connection without the connector's pooling and authentication, for tests
 * that play a misbehaving or replaying peer frame by frame. Public for the node tests' hostile
 * peers, which need bytes no {@link aranya.sync.protocol.MessageStream} would send.
 */
public final class RawClient implements AutoCloseable {
    private final TransportConfig config = QuicFixtures.config();
    private final TransportTimer timer = new TransportTimer("raw-client-timer");
    private final QuicClientConnection quic;

    public RawClient(int port) throws IOException {
        quic = SyncConnector.kwikClient(QuicFixtures.HOST, port, config, Duration.ofSeconds(5));
        quic.connect();
    }

    /** One stream's bytes, unframed, with no deadline: what the peer reads is exactly what is written. */
    public record RawStream(InputStream in, OutputStream out) {}

    /** A fresh stream under the fixtures' session deadline. */
    QuicMessageStream stream() throws SyncException {
        return QuicMessageStream.open(quic, "raw", SessionDeadline.start(timer, config.idleTimeout(), config.maxSessionTime()), config, timer);
    }

    /** Proves this connection holds team's secret, as the connector does, so the listener hands its sync streams on. */
    public void authenticate(GraphId team, byte[] secret) throws Exception {
        try (QuicMessageStream stream = stream()) {
            TeamAuth.authenticate(stream, team, secret, certificateHash());
        }
    }

    /**
     * A fresh stream with no framing and no deadline. Its output is kicked like ours
     * ({@link StreamKicker}), so what is written does reach the peer despite kwik's lost send
     * wake-up, however little it is and whatever follows.
     */
    public RawStream rawStream() throws IOException {
        QuicStream stream = quic.createStream(true);
        new StreamKicker(stream.getOutputStream(), timer, config.kickInterval(), () -> {}).start();
        return new RawStream(stream.getInputStream(), stream.getOutputStream());
    }

    /** SHA-256 of the certificate this connection's TLS handshake saw. */
    byte[] certificateHash() throws Exception {
        return NodeIdentity.sha256(quic.getServerCertificateChain().get(0).getEncoded());
    }

    @Override
    public void close() {
        quic.close();
        timer.close();
    }
}
