package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.SyncError;
import aranya.sync.graph.Command;
import aranya.sync.graph.GraphId;
import aranya.sync.protocol.NodeBudget;
import aranya.sync.protocol.PeerDataBudget;
import aranya.sync.quic.FloodClient;
import aranya.sync.wire.MessageCodec;
import aranya.sync.wire.SessionId;
import aranya.sync.wire.SyncRequestMessage;
import aranya.sync.wire.SyncType;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member floods a node with a small budget from 127.0.0.2 while an honest member syncs from
 * 127.0.0.1: streams that ask for everything and never read, and streams that upload junk
 * without reading. The node's peer data in flight must never pass its budget, the flood's
 * sessions must end at their deadline, and the honest member's syncs must succeed.
 * NodeFloodTest runs the full-size floods against a node in a 256 MiB JVM.
 */
class NodeBudgetTest {
    /** Sessions of the victim: short, so the flood's stalled sessions end within the test. */
    private static final Duration SESSIONS = Duration.ofSeconds(20);
    /** 4 MiB: 2 MiB for sessions (512 KiB for one peer: one response being built), 2 MiB of receive windows. */
    private static final NodeBudget SMALL = NodeBudget.builder()
            .peerDataBytes(NodeBudget.MIN_PEER_DATA_BYTES)
            .maxConnections(8, 2)
            .maxSessions(16, 12, 4)
            .build();
    private static final InetAddress ATTACKER = loopback("127.0.0.2");

    @TempDir
    Path dir;
    private Nodes nodes;
    private ServeFailures failures;
    private final List<FloodClient> floods = new ArrayList<>();
    private SyncNode victim;
    private SyncNode honest;
    private TeamCredentials team;

    @BeforeEach
    void aVictimWithASmallBudget() throws Exception {
        nodes = new Nodes(dir);
        failures = new ServeFailures();
        victim = nodes.add(nodes.builder().listenAddress(Nodes.LOOPBACK).idleTimeout(SESSIONS).budget(SMALL).open());
        honest = nodes.client();
        team = victim.createTeam(List.of(honest.devicePublicKey()));
        honest.joinTeam(team);
        // 300 commands of 1,500 bytes: three full responses for a Poll that asks for everything.
        for (int i = 0; i < 300; i++) {
            victim.append(team.team(), "bulk", new byte[1500]);
        }
        honest.syncNow(Nodes.at(victim), team.team(), Optional.empty());
    }

    @AfterEach
    void closeEverything() throws Exception {
        floods.forEach(FloodClient::close);
        failures.close();
        nodes.close();
    }

    @Test
    void streamsThatAskForEverythingAndNeverReadStayWithinTheBudgetWhileAnHonestMemberSyncs() throws Exception {
        FloodClient flood = flood();
        assertThat(flood.flood(200, poll(team.team(), false), 0, Duration.ofSeconds(20))).isEqualTo(200);

        honestMemberSyncsBothWays();
        // The flood's first admitted sessions were stuck sending: the deadline ended them.
        assertThat(failures.next().error()).isEqualTo(SyncError.TIMEOUT);
        assertWithinBudget(victim.peerData());
    }

    @Test
    void streamsThatUploadJunkWithoutReadingStayWithinTheBudgetWhileAnHonestMemberSyncs() throws Exception {
        int refused = 0;
        for (int i = 0; i < 4; i++) {
            try {
                flood();
            } catch (Exception e) {
                refused++; // past the two connections one address may hold
            }
        }
        assertThat(refused).as("connections refused to one address").isEqualTo(2);
        for (FloodClient flood : floods) {
            assertThat(flood.flood(16, poll(team.team(), true), 8L << 20, Duration.ofSeconds(20))).isEqualTo(16);
        }

        honestMemberSyncsBothWays();
        assertThat(failures.next().error()).isEqualTo(SyncError.TIMEOUT);
        assertWithinBudget(victim.peerData());
        // What the flood could hand over: each stream's 50 KiB kwik send buffer and one 16 KiB write, plus what the
        // receive windows the budget gives each connection let through; never the 8 MiB a stream it tried.
        long uploaded = floods.stream().mapToLong(FloodClient::uploaded).sum();
        assertThat(uploaded).isLessThanOrEqualTo(floods.size() * (16 * (66L << 10) + SMALL.connectionWindow()));
    }

    /** Both write, then the honest member syncs both ways, twice: each must succeed and converge. */
    private void honestMemberSyncsBothWays() throws Exception {
        for (int i = 0; i < 2; i++) {
            Command victims = victim.append(team.team(), "msg", ("from the victim " + i).getBytes(StandardCharsets.UTF_8));
            Command honests = honest.append(team.team(), "msg", ("from the honest member " + i).getBytes(StandardCharsets.UTF_8));
            honest.syncNow(Nodes.at(victim), team.team(), Nodes.BIDI);
            assertThat(victim.commands(team.team())).contains(victims, honests);
            assertThat(honest.heads(team.team())).isEqualTo(victim.heads(team.team()));
        }
    }

    private static void assertWithinBudget(PeerDataBudget peerData) {
        assertThat(peerData.peak()).as("peer data in flight at its peak").isPositive().isLessThanOrEqualTo(peerData.limit());
    }

    private FloodClient flood() throws Exception {
        FloodClient flood = new FloodClient(ATTACKER, victim.listenAddress().orElseThrow().getPort(), team.team(), team.secret());
        floods.add(flood);
        return flood;
    }

    /** A Poll with an empty sample: it asks for everything. */
    private static byte[] poll(GraphId team, boolean bidirectional) {
        return MessageCodec.encode(new SyncType.Poll(new SyncRequestMessage.SyncRequest(new SessionId(7, 7), team, 0, List.of()), bidirectional));
    }

    private static InetAddress loopback(String address) {
        try {
            return InetAddress.getByName(address);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
