package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.graph.GraphId;
import aranya.sync.peers.PeerAddress;
import aranya.sync.peers.SyncPeerConfig;
import aranya.sync.protocol.SyncSummary;
import aranya.sync.quic.ImpairedUdpLink;
import aranya.sync.quic.ImpairedUdpLink.Impairment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client behind a NAT ({@link ImpairedUdpLink}'s mapping timeout and rebinding) keeps its
 * pooled connection alive between scheduled syncs, and recovers at once when the mapping
 * changed anyway: kwik's server drops datagrams from a client's new address, so the old
 * connection is dead and only a fresh one works.
 */
class NatPathTest {
    private static final long SEED = 0x6_0002;
    /**
     * A NAT that forgets a UDP mapping the client sent nothing on for 4 s (30 s is common,
     * some use 15 s or less); short for the test, long enough that a loaded machine's pauses
     * during the handshake do not trip it.
     */
    private static final Duration NAT_TIMEOUT = Duration.ofSeconds(4);
    /** Keep-alives every second, well inside the NAT timeout. */
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(1);
    /** Longer than the NAT timeout: how long the pooled connection must sit idle yet stay mapped. */
    private static final Duration IDLE_PERIOD = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    @Test
    void keepAlivesHoldAPooledConnectionAcrossAnIdlePeriodLongerThanTheNatTimeout() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server();
            SyncNode phone = nodes.add(nodes.builder().keepAliveInterval(KEEP_ALIVE).open());
            GraphId team = Nodes.team(server, phone);
            try (ImpairedUdpLink nat = new ImpairedUdpLink(server.listenAddress().orElseThrow(), Impairment.NONE, SEED)) {
                nat.natTimeout(NAT_TIMEOUT);
                PeerAddress office = PeerAddress.of(nat.address());
                // Scheduled (hourly), so its connection is kept alive; the syncs below are the ones that matter.
                phone.addSyncPeer(office, team, SyncPeerConfig.builder().interval(Duration.ofHours(1)).syncNow(false).build());
                phone.syncNow(office, team, Optional.empty());

                assertThat(nat.awaitSmallDatagramsAcross(IDLE_PERIOD, Duration.ofSeconds(30)))
                        .as("keep-alives still cross the NAT %s after the last sync", IDLE_PERIOD).isTrue();
                Nodes.write(server, team, 50);
                SyncSummary s = phone.syncNow(office, team, Optional.empty());

                assertThat(s.added()).isEqualTo(50);
                assertThat(phone.heads(team)).isEqualTo(server.heads(team));
                ImpairedUdpLink.Counters counters = nat.counters();
                assertThat(counters.rebinds()).as("the NAT never forgot the mapping").isZero();
                assertThat(counters.unmapped()).isZero();
            }
        }
    }

    @Test
    void aSyncWhosePathDiedOnARebindingRetriesAtOnceOnAFreshConnection() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server();
            SyncNode phone = nodes.add(nodes.builder().idleTimeout(Duration.ofMinutes(1)).open());
            GraphId team = Nodes.team(server, phone);
            try (ImpairedUdpLink nat = new ImpairedUdpLink(server.listenAddress().orElseThrow(), Impairment.NONE, SEED)) {
                PeerAddress office = PeerAddress.of(nat.address());
                phone.syncNow(office, team, Optional.empty()); // the pooled connection
                Nodes.write(server, team, 50);
                nat.rebind(); // the phone's next datagram leaves from a new public port; the office's kwik drops it

                SyncSummary s = phone.syncNow(office, team, Nodes.BIDI); // one call: no TIMEOUT reaches the caller

                assertThat(s.added()).isEqualTo(50);
                assertThat(phone.commands(team)).isEqualTo(server.commands(team));
                assertThat(nat.counters().rebinds()).isEqualTo(1);
            }
        }
    }
}
