package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.peers.PeerAddress;
import aranya.sync.protocol.SyncSummary;
import aranya.sync.quic.ImpairedUdpLink;
import aranya.sync.quic.ImpairedUdpLink.Impairment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes syncing over real QUIC through {@link ImpairedUdpLink}: a lossy network, a slow one
 * on which a sync outlasts the idle timeout many times over, and a peer that vanishes.
 */
class ImpairedNetworkTest {
    private static final long SEED = 0x6_0001;
    /** 5% lost, 2% duplicated, 10% held back 20 ms behind later datagrams; 50 ms each way. */
    private static final Impairment LOSSY = new Impairment(0.05, 0.02, 0.10, Duration.ofMillis(50), Duration.ofMillis(20));
    private static final int COMMANDS_EACH = 500;
    /**
     * Sessions one convergence may take. Loss can stretch a session past its deadline
     * (TIMEOUT), and a responder may stop early at a byte limit (remaining); either way what
     * arrived stays committed and the next session goes on from there, as a scheduled peer
     * would. A sync that lost its progress would use them all up.
     */
    private static final int MAX_SESSIONS = 5;
    /** Datagrams the silent test lets through: its poll and the start of the answer, far from all of it. */
    private static final int SILENT_AFTER = 20;
    /** The idle timeout of both nodes in the progress tests: small, so a slow sync outlasts it several times. */
    private static final Duration SMALL_IDLE = Duration.ofSeconds(5);
    /** 1% lost, 5% held back 20 ms, 25 ms each way; with {@link #RATE} and {@link #ROUTER_BUFFER} on top. */
    private static final Impairment SLOW = new Impairment(0.01, 0, 0.05, Duration.ofMillis(25), Duration.ofMillis(20));
    /** Bytes per second each way: a slow mobile uplink. */
    private static final long RATE = 16_000;
    /** The router's queue: at most a third of a second of the rate waits, so congestion windows stay sane. */
    private static final long ROUTER_BUFFER = 6_000;
    /** Commands each side writes for the slow sync: about 250 KB each way on the link, over 3 idle timeouts at RATE. */
    private static final int SLOW_COMMANDS_EACH = 1_100;

    @TempDir
    Path dir;

    @Test
    void divergedPeersConvergeBothWaysOverALossyReorderingDuplicatingLink() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server();
            // Lost handshake packets wait for kwik's retransmission timer: give the handshake room.
            SyncNode client = nodes.add(nodes.builder().connectTimeout(Duration.ofSeconds(15)).open());
            GraphId team = Nodes.team(server, client);
            client.syncNow(Nodes.at(server), team, Optional.empty()); // both start from the init command
            Nodes.write(server, team, COMMANDS_EACH);
            Nodes.write(client, team, COMMANDS_EACH);
            try (ImpairedUdpLink link = new ImpairedUdpLink(server.listenAddress().orElseThrow(), LOSSY, SEED)) {
                int sessions = 0;
                boolean done = false;
                while (!done && sessions < MAX_SESSIONS) {
                    sessions++;
                    try {
                        SyncSummary s = client.syncNow(PeerAddress.of(link.address()), team, Nodes.BIDI);
                        done = !s.remaining();
                    } catch (SyncException e) {
                        if (e.error() != SyncError.TIMEOUT) {
                            throw e;
                        }
                    }
                }
                ImpairedUdpLink.Counters counters = link.counters();
                System.out.printf("lossy link: %d session(s), %s%n", sessions, counters);
                assertThat(done).as("converged within %d sessions", MAX_SESSIONS).isTrue();
                assertThat(client.heads(team)).isEqualTo(server.heads(team));
                assertThat(client.commands(team)).isEqualTo(server.commands(team));
                assertThat(server.size(team)).isGreaterThan(2 * COMMANDS_EACH);
                assertThat(counters.dropped()).isPositive();
                assertThat(counters.reordered()).isPositive();
                assertThat(counters.duplicated()).isPositive();
            }
        }
    }

    @Test
    void aPeerThatGoesSilentMidSyncFailsTheSyncWithTimeout() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server();
            SyncNode client = nodes.add(nodes.builder().idleTimeout(Duration.ofSeconds(3)).open());
            GraphId team = Nodes.team(server, client);
            try (ImpairedUdpLink link = new ImpairedUdpLink(server.listenAddress().orElseThrow(), Impairment.NONE, SEED)) {
                PeerAddress throughLink = PeerAddress.of(link.address());
                client.syncNow(throughLink, team, Optional.empty()); // connects and authenticates; the connection stays pooled
                Nodes.write(server, team, 2_000); // some hundreds of datagrams
                long before = link.counters().forwarded();
                link.goSilentAfter(SILENT_AFTER);
                SyncException e = catchThrowableOfType(SyncException.class, () -> client.syncNow(throughLink, team, Optional.empty()));
                assertThat(e.error()).isEqualTo(SyncError.TIMEOUT);
                assertThat(link.counters().forwarded()).as("the sync was under way").isGreaterThan(before);
                assertThat(link.counters().silenced()).isPositive();
                assertThat(client.size(team)).isLessThan(server.size(team));
            }
        }
    }

    @Test
    void aSyncLastingManyIdleTimeoutsConvergesInOneCallInBothDirections() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server(SMALL_IDLE);
            SyncNode client = nodes.add(nodes.builder().idleTimeout(SMALL_IDLE).connectTimeout(Duration.ofSeconds(15)).open());
            GraphId team = Nodes.team(server, client);
            client.syncNow(Nodes.at(server), team, Optional.empty()); // both start from the init command
            Nodes.write(server, team, SLOW_COMMANDS_EACH);
            Nodes.write(client, team, SLOW_COMMANDS_EACH);
            try (ImpairedUdpLink link = new ImpairedUdpLink(server.listenAddress().orElseThrow(), SLOW, SEED)) {
                link.limitRate(RATE, ROUTER_BUFFER);
                SyncSummary s = client.syncNow(PeerAddress.of(link.address()), team, Nodes.BIDI); // one call, no retries

                ImpairedUdpLink.Counters counters = link.counters();
                System.out.printf("slow link: %s, %s%n", s, counters);
                assertThat(s.remaining()).isFalse();
                assertThat(s.added()).isEqualTo(SLOW_COMMANDS_EACH);
                assertThat(s.sent()).as("the client's commands and its merge").isGreaterThanOrEqualTo(SLOW_COMMANDS_EACH);
                assertThat(client.commands(team)).isEqualTo(server.commands(team));
                // The premise, from bytes rather than clocks: at RATE, each direction needed over 3 idle timeouts.
                long threeIdleTimeouts = 3 * RATE * SMALL_IDLE.toSeconds();
                assertThat(counters.bytesToClients()).as("bytes the pull moved").isGreaterThan(threeIdleTimeouts);
                assertThat(counters.bytesToServer()).as("bytes the answer moved").isGreaterThan(threeIdleTimeouts);
                assertThat(counters.dropped()).isPositive();
            }
        }
    }

    @Test
    void aClientThatGoesSilentMidAnswerFailsTheServersSideWithTimeoutToo() throws Exception {
        try (Nodes nodes = new Nodes(dir); ServeFailures failures = new ServeFailures()) {
            SyncNode server = nodes.server(SMALL_IDLE);
            SyncNode client = nodes.add(nodes.builder().idleTimeout(SMALL_IDLE).open());
            GraphId team = Nodes.team(server, client);
            try (ImpairedUdpLink link = new ImpairedUdpLink(server.listenAddress().orElseThrow(), Impairment.NONE, SEED)) {
                PeerAddress throughLink = PeerAddress.of(link.address());
                client.syncNow(throughLink, team, Nodes.BIDI); // connects and authenticates; the connection stays pooled
                Nodes.write(client, team, 2_000); // the client's answer: some hundreds of datagrams
                long before = link.counters().forwarded();
                link.goSilentAfter(SILENT_AFTER);
                SyncException e = catchThrowableOfType(SyncException.class, () -> client.syncNow(throughLink, team, Nodes.BIDI));
                assertThat(e.error()).isEqualTo(SyncError.TIMEOUT);
                assertThat(failures.next().error()).as("the server's side of the session").isEqualTo(SyncError.TIMEOUT);
                assertThat(link.counters().forwarded()).as("the sync was under way").isGreaterThan(before);
                assertThat(server.size(team)).isLessThan(client.size(team));
            }
        }
    }
}
