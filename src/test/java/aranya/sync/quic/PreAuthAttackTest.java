package aranya.sync.quic;

import static aranya.sync.quic.QuicFixtures.config;
import static aranya.sync.quic.QuicFixtures.listen;
import static aranya.sync.quic.QuicFixtures.open;
import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.protocol.MessageStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tech.kwik.core.QuicClientConnection;

/**
 * The pre-authentication attacks of {@link PreAuthAttack} against a listener on loopback, each
 * followed by an honest session that must still be served.
 */
class PreAuthAttackTest {
    private static final byte[] PING = "ping".getBytes(StandardCharsets.UTF_8);

    @Test
    void initialsWhoseCryptoFrameClaimsTwoGibibytesNeverReachKwik() throws Exception {
        try (SyncListener listener = listen((stream, connection) -> QuicFixtures.echo(stream), config())) {
            PreAuthAttack.maliciousInitials(listener.localAddress(), 50, InetAddress.getByName(QuicFixtures.HOST));
            assertHonestSessionServed(listener);
            // The honest Initial came after the attack's on one socket, so the gate had judged them all.
            assertThat(listener.gate().dropped()).isGreaterThanOrEqualTo(50);
            assertThat(listener.gate().pending()).isZero();
        }
    }

    @Test
    void halfOpenHandshakesPastTheCapGetNoAnswerAndHonestPeersStillConnect() throws Exception {
        PreAuthAttack.CapturedHello hello = PreAuthAttack.captureClientHello();
        try (SyncListener listener = listen((stream, connection) -> QuicFixtures.echo(stream), config())) {
            // From another loopback address than the honest peer's, as an attacker would be.
            PreAuthAttack.Outcome outcome = PreAuthAttack.halfOpen(listener.localAddress(), 100,
                    InetAddress.getByName("127.0.0.2"), hello, Duration.ofSeconds(2));
            assertThat(outcome.answered()).as(outcome.toString()).isPositive().isLessThanOrEqualTo(HandshakeGate.MAX_PENDING_PER_ADDRESS);
            assertThat(listener.gate().pending()).isEqualTo(HandshakeGate.MAX_PENDING_PER_ADDRESS);
            assertHonestSessionServed(listener);
        }
    }

    @Test
    void aConnectionThatDoesNotAuthenticateIsClosedAtTheAuthTimeout() throws Exception {
        TransportConfig config = config().toBuilder().authTimeout(Duration.ofMillis(500)).build();
        try (SyncListener listener = listen((stream, connection) -> QuicFixtures.echo(stream), config)) {
            QuicClientConnection client = SyncConnector.kwikClient(QuicFixtures.HOST, listener.localAddress().getPort(),
                    config(), Duration.ofSeconds(5));
            CountDownLatch closed = new CountDownLatch(1);
            client.setConnectionListener(event -> closed.countDown());
            client.connect();
            try {
                // Well within the 30 s QUIC idle timeout that would otherwise end it.
                assertThat(closed.await(10, TimeUnit.SECONDS)).as("closed by the server").isTrue();
                assertThat(listener.gate().pending()).isZero();
            } finally {
                client.close();
            }
        }
    }

    private static void assertHonestSessionServed(SyncListener listener) throws Exception {
        try (SyncConnector connector = new SyncConnector(config()); MessageStream stream = open(connector, listener)) {
            stream.send(PING);
            assertThat(stream.receive()).hasValueSatisfying(reply -> assertThat(reply).isEqualTo(PING));
            stream.finish();
        }
    }
}
