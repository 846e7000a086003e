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

/** Nodes syncing over real QUIC through {@link ImpairedUdpLink}: a lossy network, and a peer that vanishes. */
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
                assertThat(client.head(team)).isEqualTo(server.head(team));
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
}
