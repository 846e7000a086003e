package aranya.sync.quic;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ApplicationProtocolConnectionFactory;
import tech.kwik.core.server.ServerConnector;

/**
 * A man in the middle that terminates TLS itself: it accepts connections with a certificate of
 * its own and copies every stream, byte for byte, to and from the genuine listener over its own
 * connection. It cannot read the team secret, only relay.
 */
final class Relay implements AutoCloseable {
    private final GuardedDatagramSocket socket;
    private final ServerConnector connector;
    private final QuicClientConnection upstream;
    private final AtomicLong bytesToClient = new AtomicLong();

    Relay(int targetPort) throws Exception {
        TransportConfig config = QuicFixtures.config();
        upstream = SyncConnector.kwikClient(QuicFixtures.HOST, targetPort, config, Duration.ofSeconds(5));
        upstream.connect();
        socket = new GuardedDatagramSocket(new InetSocketAddress(InetAddress.getByName(QuicFixtures.HOST), 0),
                new HandshakeGate(config.connectionIdleTimeout()));
        NodeIdentity identity = NodeIdentity.generate();
        connector = ServerConnector.builder()
                .withSocket(socket)
                .withKeyStore(identity.keyStore(), NodeIdentity.KEY_ALIAS, NodeIdentity.keyStorePassword(), NodeIdentity.curveName())
                .withConfiguration(SyncListener.serverConfig(config))
                .withLogger(new KwikLog(Relay.class.getName()))
                .build();
        connector.registerApplicationProtocol(SyncListener.ALPN, new ApplicationProtocolConnectionFactory() {
            @Override
            public ApplicationProtocolConnection createConnection(String protocol, QuicConnection connection) {
                return new ApplicationProtocolConnection() {
                    @Override
                    public void acceptPeerInitiatedStream(QuicStream stream) {
                        Thread.ofVirtual().start(() -> relay(stream));
                    }
                };
            }

            @Override
            public int maxConcurrentPeerInitiatedUnidirectionalStreams() {
                return 0;
            }

            @Override
            public int maxConcurrentPeerInitiatedBidirectionalStreams() {
                return 100;
            }
        });
        connector.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    /** Bytes copied from the genuine listener to the client so far. */
    long bytesToClient() {
        return bytesToClient.get();
    }

    private void relay(QuicStream fromClient) {
        try {
            QuicStream toServer = upstream.createStream(true);
            Thread.ofVirtual().start(() -> copy(fromClient.getInputStream(), toServer.getOutputStream(), new AtomicLong()));
            copy(toServer.getInputStream(), fromClient.getOutputStream(), bytesToClient);
        } catch (IOException e) {
            fromClient.resetStream(0);
        }
    }

    /** Copies to the end, then passes the FIN on; a failure on either side resets nothing more than this direction. */
    private static void copy(InputStream in, OutputStream out, AtomicLong counter) {
        byte[] buffer = new byte[4096];
        try (out) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                counter.addAndGet(n); // first, so the count is up to date once the client can see the bytes
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // One side went away; the other side's FIN or reset follows from the close above.
        }
    }

    @Override
    public void close() {
        upstream.close();
        socket.beginShutdown();
        connector.close();
    }
}
