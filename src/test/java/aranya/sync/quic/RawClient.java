package aranya.sync.quic;

import aranya.sync.SyncException;
import java.io.IOException;
import java.time.Duration;
import tech.kwik.core.QuicClientConnection;

/**
 * A kwik client connection without the connector's pooling and authentication, for tests
 * that play a misbehaving or replaying peer frame by frame.
 */
final class RawClient implements AutoCloseable {
    private final TransportConfig config = QuicFixtures.config();
    private final TransportTimer timer = new TransportTimer("raw-client-timer");
    private final QuicClientConnection quic;

    RawClient(int port) throws IOException {
        quic = SyncConnector.kwikClient(QuicFixtures.HOST, port, config, Duration.ofSeconds(5));
        quic.connect();
    }

    /** A fresh stream under the fixtures' session deadline. */
    QuicMessageStream stream() throws SyncException {
        return QuicMessageStream.open(quic, "raw", SessionDeadline.start(timer, config.sessionDeadline()), config, timer);
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
