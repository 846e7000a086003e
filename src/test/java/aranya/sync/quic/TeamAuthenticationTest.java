package aranya.sync.quic;

import static aranya.sync.quic.QuicFixtures.HOST;
import static aranya.sync.quic.QuicFixtures.OTHER_TEAM;
import static aranya.sync.quic.QuicFixtures.SECRET;
import static aranya.sync.quic.QuicFixtures.TEAM;
import static aranya.sync.quic.QuicFixtures.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.GraphId;
import aranya.sync.protocol.MessageStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Team authentication over real kwik on loopback, including the attacks it must stop. */
class TeamAuthenticationTest {
    private final List<String> handled = new CopyOnWriteArrayList<>();
    private final AtomicInteger secretLookups = new AtomicInteger();

    /** Records what each handled stream's connection is authenticated for, then echoes. */
    private final SyncStreamHandler recordingEcho = (stream, connection) -> {
        handled.add("team=" + connection.isAuthenticated(TEAM) + " other=" + connection.isAuthenticated(OTHER_TEAM));
        QuicFixtures.echo(stream);
    };

    @Test
    void theRightSecretAuthenticatesTheConnectionForThatTeamOnceAndOnlyForIt() throws Exception {
        try (SyncListener listener = countingListener(config()); SyncConnector connector = new SyncConnector(config())) {
            for (int session = 0; session < 2; session++) {
                try (MessageStream stream = QuicFixtures.open(connector, listener)) {
                    assertEchoes(stream);
                }
            }
            assertThat(connector.serverCertificateHash(HOST, listener.localAddress().getPort()))
                    .hasValueSatisfying(hash -> assertThat(hash).isEqualTo(listenerHash(listener)));
        }
        assertThat(handled).containsExactly("team=true other=false", "team=true other=false");
        assertThat(secretLookups).as("one exchange for both sessions on the pooled connection").hasValue(1);
    }

    @Test
    void aWrongSecretFailsWithAuthFailedAndReachesNoHandler() throws Exception {
        try (SyncListener listener = countingListener(config()); SyncConnector connector = new SyncConnector(config())) {
            assertAuthFailed(() -> connector.openStream(HOST, listener.localAddress().getPort(), TEAM, QuicFixtures.randomSecret()));
            // A sync stream on a connection that authenticated for no team is reset before any handler sees it.
            try (RawClient raw = new RawClient(listener.localAddress().getPort()); QuicMessageStream stream = raw.stream()) {
                stream.send(new byte[] {0, 1, 2});
                assertThatThrownBy(stream::receive)
                        .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.TRANSPORT));
            }
            // Then a genuine client: the only stream the handler ever sees.
            try (SyncConnector genuine = new SyncConnector(config()); MessageStream stream = QuicFixtures.open(genuine, listener)) {
                assertEchoes(stream);
            }
        }
        assertThat(handled).containsExactly("team=true other=false");
    }

    @Test
    void anUnknownTeamIsRefusedBeforeAnyChallenge() throws Exception {
        GraphId unknown = QuicFixtures.team(0x33);
        try (SyncListener listener = countingListener(config()); SyncConnector connector = new SyncConnector(config())) {
            assertAuthFailed(() -> connector.openStream(HOST, listener.localAddress().getPort(), unknown, QuicFixtures.randomSecret()));
            try (RawClient raw = new RawClient(listener.localAddress().getPort()); QuicMessageStream stream = raw.stream()) {
                assertThat(exchange(stream, new AuthMessage.Hello(unknown, TeamAuth.nonce()))).isEqualTo(new AuthMessage.Result(false));
            }
        }
        assertThat(handled).isEmpty();
    }

    @Test
    void aProofReplayedFromAnEarlierConnectionIsRefused() throws Exception {
        try (SyncListener listener = countingListener(config())) {
            int port = listener.localAddress().getPort();
            byte[] key = TeamAuth.teamKey(SECRET, TEAM);
            Bytes clientNonce = TeamAuth.nonce();
            AuthMessage.Proof recorded;
            Bytes firstServerNonce;
            try (RawClient first = new RawClient(port); QuicMessageStream stream = first.stream()) {
                AuthMessage.Challenge challenge = (AuthMessage.Challenge) exchange(stream, new AuthMessage.Hello(TEAM, clientNonce));
                firstServerNonce = challenge.serverNonce();
                byte[] transcript = TeamAuth.transcript(TEAM, clientNonce, challenge.serverNonce(), first.certificateHash());
                recorded = new AuthMessage.Proof(Bytes.of(TeamAuth.clientMac(key, transcript)));
                assertThat(exchange(stream, recorded)).as("the genuine exchange").isEqualTo(new AuthMessage.Result(true));
            }
            try (RawClient replay = new RawClient(port); QuicMessageStream stream = replay.stream()) {
                AuthMessage.Challenge challenge = (AuthMessage.Challenge) exchange(stream, new AuthMessage.Hello(TEAM, clientNonce));
                assertThat(challenge.serverNonce()).isNotEqualTo(firstServerNonce);
                assertThat(exchange(stream, recorded)).as("the replayed proof").isEqualTo(new AuthMessage.Result(false));
            }
        }
        assertThat(handled).isEmpty();
    }

    @Test
    void aRelayThatTerminatesTlsItselfCannotCompleteTheExchange() throws Exception {
        try (SyncListener listener = countingListener(config());
                Relay relay = new Relay(listener.localAddress().getPort());
                SyncConnector connector = new SyncConnector(config())) {
            assertAuthFailed(() -> connector.openStream(HOST, relay.port(), TEAM, SECRET));
            assertThat(relay.bytesToClient()).as("the genuine challenge did come through the relay").isPositive();
            assertThat(connector.serverCertificateHash(HOST, relay.port()))
                    .hasValueSatisfying(hash -> assertThat(hash).isNotEqualTo(listenerHash(listener)));
        }
        assertThat(handled).isEmpty();
    }

    @Test
    void anAddressWithTooManyFailuresIsRefusedEvenWithTheRightSecret() throws Exception {
        TransportConfig limited = config().toBuilder().failedAuthLimit(3, Duration.ofMinutes(1)).build();
        GraphId unknown = QuicFixtures.team(0x33);
        try (SyncListener listener = countingListener(limited)) {
            int port = listener.localAddress().getPort();
            for (int attempt = 0; attempt < 3; attempt++) {
                // The refusal of an unknown team is sent after the failure is counted, so counting is done when it arrives.
                try (SyncConnector connector = new SyncConnector(config())) {
                    assertAuthFailed(() -> connector.openStream(HOST, port, unknown, QuicFixtures.randomSecret()));
                }
            }
            try (SyncConnector connector = new SyncConnector(config())) {
                assertAuthFailed(() -> connector.openStream(HOST, port, TEAM, SECRET));
            }
            try (RawClient raw = new RawClient(port); QuicMessageStream stream = raw.stream()) {
                assertThat(exchange(stream, new AuthMessage.Hello(TEAM, TeamAuth.nonce())))
                        .as("refused at once, without a challenge")
                        .isEqualTo(new AuthMessage.Result(false));
            }
        }
        assertThat(handled).isEmpty();
    }

    @Test
    void aSyncStreamSentRightBehindTheProofIsServedOnceTheProofChecksOut() throws Exception {
        try (SyncListener listener = countingListener(config()); RawClient client = new RawClient(listener.localAddress().getPort());
                QuicMessageStream auth = client.stream()) {
            AuthMessage.Proof proof = proofFor(client, auth, SECRET);
            auth.send(AuthCodec.encode(proof));
            auth.finish();
            try (QuicMessageStream sync = client.stream()) { // before the verdict, as the connector does
                assertEchoes(sync);
            }
            assertThat(AuthCodec.decode(auth.receive().orElseThrow())).isEqualTo(new AuthMessage.Result(true));
        }
        assertThat(handled).containsExactly("team=true other=false");
    }

    @Test
    void aSyncStreamSentRightBehindAWrongProofIsRefusedAndReachesNoHandler() throws Exception {
        try (SyncListener listener = countingListener(config()); RawClient client = new RawClient(listener.localAddress().getPort());
                QuicMessageStream auth = client.stream()) {
            AuthMessage.Proof wrong = proofFor(client, auth, QuicFixtures.OTHER_SECRET);
            auth.send(AuthCodec.encode(wrong));
            auth.finish();
            try (QuicMessageStream sync = client.stream()) {
                sync.send("poll".getBytes(StandardCharsets.UTF_8));
                assertThatThrownBy(sync::receive).as("the listener aborts the stream").isInstanceOf(SyncException.class);
            }
            assertThat(AuthCodec.decode(auth.receive().orElseThrow())).isEqualTo(new AuthMessage.Result(false));
        }
        assertThat(handled).isEmpty();
    }

    /** Opens the exchange on auth and returns the proof that secret gives for the server's challenge. */
    private static AuthMessage.Proof proofFor(RawClient client, QuicMessageStream auth, byte[] secret) throws Exception {
        Bytes clientNonce = TeamAuth.nonce();
        AuthMessage.Challenge challenge = (AuthMessage.Challenge) exchange(auth, new AuthMessage.Hello(TEAM, clientNonce));
        byte[] transcript = TeamAuth.transcript(TEAM, clientNonce, challenge.serverNonce(), client.certificateHash());
        return new AuthMessage.Proof(Bytes.of(TeamAuth.clientMac(TeamAuth.teamKey(secret, TEAM), transcript)));
    }

    private SyncListener countingListener(TransportConfig config) throws Exception {
        TeamSecrets secrets = QuicFixtures.secrets();
        return SyncListener.start(new InetSocketAddress(HOST, 0), NodeIdentity.generate(), team -> {
            secretLookups.incrementAndGet();
            return secrets.secretFor(team);
        }, recordingEcho, config);
    }

    private static AuthMessage exchange(QuicMessageStream stream, AuthMessage message) throws SyncException {
        stream.send(AuthCodec.encode(message));
        Optional<byte[]> reply = stream.receive();
        return AuthCodec.decode(reply.orElseThrow(() -> new AssertionError("no reply to " + message)));
    }

    private static void assertEchoes(MessageStream stream) throws Exception {
        byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
        stream.send(hello);
        assertThat(stream.receive()).hasValueSatisfying(reply -> assertThat(reply).isEqualTo(hello));
        stream.finish();
        assertThat(stream.receive()).isEmpty();
    }

    private static void assertAuthFailed(ThrowingCallable open) {
        assertThatThrownBy(open)
                .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.AUTH_FAILED));
    }

    private static byte[] listenerHash(SyncListener listener) {
        return listener.identity().certificateHash();
    }
}
