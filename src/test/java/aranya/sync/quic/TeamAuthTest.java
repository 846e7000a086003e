package aranya.sync.quic;

import static aranya.sync.quic.QuicFixtures.OTHER_SECRET;
import static aranya.sync.quic.QuicFixtures.SECRET;
import static aranya.sync.quic.QuicFixtures.TEAM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.GraphId;
import aranya.sync.protocol.InMemoryMessageStream;
import aranya.sync.protocol.MessageStream;
import aranya.sync.wire.Limits;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The exchange itself, over in-memory streams; the kwik tests run the same over QUIC. */
class TeamAuthTest {
    private static final byte[] CERTIFICATE_HASH = NodeIdentity.sha256(new byte[] {1});
    private static final byte[] RELAY_CERTIFICATE_HASH = NodeIdentity.sha256(new byte[] {2});

    private final List<GraphId> authenticated = new CopyOnWriteArrayList<>();
    private final TeamAuthResponder responder = new TeamAuthResponder(QuicFixtures.secrets(),
            new FailedAuthLimiter(10, Duration.ofMinutes(1)), CERTIFICATE_HASH);

    @Test
    void bothSidesWithTheSecretAgree() throws Exception {
        assertThat(exchange(SECRET, CERTIFICATE_HASH)).hasValue(TEAM);
    }

    @Test
    void aWrongSecretFailsOnTheClientAndTheServerAcceptsNothing() {
        assertThatThrownBy(() -> exchange(OTHER_SECRET, CERTIFICATE_HASH))
                .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.AUTH_FAILED));
    }

    @Test
    void aClientThatSawAnotherCertificateRefusesTheServer() {
        assertThatThrownBy(() -> exchange(SECRET, RELAY_CERTIFICATE_HASH))
                .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.AUTH_FAILED));
    }

    @Test
    void theMacsDependOnEveryPartOfTheTranscript() {
        byte[] key = TeamAuth.teamKey(SECRET, TEAM);
        Bytes nonce = TeamAuth.nonce();
        byte[] base = TeamAuth.transcript(TEAM, nonce, nonce, CERTIFICATE_HASH);
        assertThat(TeamAuth.serverMac(key, base)).isNotEqualTo(TeamAuth.clientMac(key, base));
        assertThat(TeamAuth.serverMac(key, base))
                .isNotEqualTo(TeamAuth.serverMac(key, TeamAuth.transcript(QuicFixtures.OTHER_TEAM, nonce, nonce, CERTIFICATE_HASH)))
                .isNotEqualTo(TeamAuth.serverMac(key, TeamAuth.transcript(TEAM, TeamAuth.nonce(), nonce, CERTIFICATE_HASH)))
                .isNotEqualTo(TeamAuth.serverMac(key, TeamAuth.transcript(TEAM, nonce, TeamAuth.nonce(), CERTIFICATE_HASH)))
                .isNotEqualTo(TeamAuth.serverMac(key, TeamAuth.transcript(TEAM, nonce, nonce, RELAY_CERTIFICATE_HASH)))
                .isNotEqualTo(TeamAuth.serverMac(TeamAuth.teamKey(OTHER_SECRET, TEAM), base));
        assertThat(TeamAuth.teamKey(SECRET, TEAM)).isNotEqualTo(TeamAuth.teamKey(SECRET, QuicFixtures.OTHER_TEAM));
    }

    /** Runs the client against the responder; returns what the responder accepted, or throws what the client threw. */
    private Optional<GraphId> exchange(byte[] clientSecret, byte[] certificateHashSeenByClient) throws Exception {
        InMemoryMessageStream[] pair = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, Duration.ofSeconds(10));
        MessageStream client = pair[0];
        MessageStream server = pair[1];
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Optional<GraphId>> served = threads.submit(() -> {
                Optional<byte[]> hello = server.receive();
                Optional<GraphId> accepted = responder.respond(server, hello.orElseThrow(), InetAddress.getLoopbackAddress(),
                        authenticated::add);
                assertThat(authenticated).as("told before it returns").isEqualTo(accepted.stream().toList());
                return accepted;
            });
            try {
                TeamAuth.authenticate(client, TEAM, clientSecret, certificateHashSeenByClient);
            } catch (SyncException e) {
                client.close(); // as the connector does: the server then sees the stream reset
                assertThat(served.get(10, TimeUnit.SECONDS)).as("the server's verdict").isEmpty();
                throw e;
            }
            return served.get(10, TimeUnit.SECONDS);
        } finally {
            client.close();
            server.close();
        }
    }
}
