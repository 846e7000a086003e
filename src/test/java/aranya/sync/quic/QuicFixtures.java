package aranya.sync.quic;

import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.protocol.MessageStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/** Teams, secrets, configurations and handlers shared by the transport tests. */
final class QuicFixtures {
    static final String HOST = "127.0.0.1";
    static final GraphId TEAM = team(0x11);
    static final GraphId OTHER_TEAM = team(0x22);
    static final byte[] SECRET = randomSecret();
    static final byte[] OTHER_SECRET = randomSecret();

    private QuicFixtures() {}

    /** Defaults, with deadlines that still bound a broken test but never trip a working one. */
    static TransportConfig config() {
        return TransportConfig.builder()
                .idleTimeout(Duration.ofSeconds(20))
                .authTimeout(Duration.ofSeconds(10))
                .build();
    }

    static GraphId team(int fill) {
        byte[] id = new byte[32];
        Arrays.fill(id, (byte) fill);
        return GraphId.of(id);
    }

    static byte[] randomSecret() {
        byte[] secret = new byte[TeamAuth.SECRET_LENGTH];
        new SecureRandom().nextBytes(secret);
        return secret;
    }

    /** This node serves TEAM with SECRET and OTHER_TEAM with OTHER_SECRET. */
    static TeamSecrets secrets() {
        Map<GraphId, byte[]> secrets = Map.of(TEAM, SECRET, OTHER_TEAM, OTHER_SECRET);
        return team -> Optional.ofNullable(secrets.get(team)).map(byte[]::clone);
    }

    static SyncListener listen(SyncStreamHandler handler, TransportConfig config) throws IOException {
        return SyncListener.start(new InetSocketAddress(InetAddress.getByName(HOST), 0), NodeIdentity.generate(), secrets(),
                handler, config);
    }

    /** Sends back each message as it arrives; finishes once the peer has. */
    static void echo(MessageStream stream) {
        try {
            for (Optional<byte[]> message = stream.receive(); message.isPresent(); message = stream.receive()) {
                stream.send(message.get());
            }
            stream.finish();
        } catch (IOException | SyncException e) {
            stream.close();
        }
    }

    static MessageStream open(SyncConnector connector, SyncListener listener) throws SyncException {
        return connector.openStream(HOST, listener.localAddress().getPort(), TEAM, SECRET);
    }
}
