package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Command;
import aranya.sync.graph.GraphId;
import aranya.sync.peers.SyncPeerConfig;
import aranya.sync.protocol.SyncSummary;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Syncs in both modes, concurrent sessions, authentication and the transport's limits, over real kwik connections on loopback. */
class QuicSyncTest {
    @TempDir
    Path dir;

    @Test
    void bidirectionalSyncGivesBothSidesTheOthersCommands() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode a = nodes.server();
            SyncNode b = nodes.server();
            GraphId team = Nodes.team(a, b);
            b.syncNow(Nodes.at(a), team, Optional.empty());
            Nodes.write(a, team, 3);
            Nodes.write(b, team, 2);
            SyncSummary s = b.syncNow(Nodes.at(a), team, Nodes.BIDI);
            assertThat(s.added()).isEqualTo(3);
            assertThat(s.sent()).isEqualTo(2); // b's two: receiving makes no merge
            assertThat(a.heads(team)).isEqualTo(b.heads(team));
            assertThat(a.commands(team)).isEqualTo(b.commands(team));
        }
    }

    @Test
    void unidirectionalStillWorksUnchangedAgainstTheSameServer() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode a = nodes.server();
            SyncNode b = nodes.server();
            GraphId team = Nodes.team(a, b);
            b.syncNow(Nodes.at(a), team, Optional.empty());
            Nodes.write(a, team, 3);
            Nodes.write(b, team, 2);
            int aBefore = a.size(team);
            SyncSummary s = b.syncNow(Nodes.at(a), team, Optional.empty());
            assertThat(s.added()).isEqualTo(3);
            assertThat(s.sent()).isZero();
            assertThat(a.size(team)).isEqualTo(aBefore);
        }
    }

    @Test
    void everyCombinationOfConfigAndFlag() throws Exception {
        record Case(Optional<SyncPeerConfig> config, boolean expectBoth) {}
        List<Case> cases = List.of(
                new Case(Optional.empty(), false),
                new Case(Optional.of(SyncPeerConfig.builder().build()), false),
                new Case(Optional.of(SyncPeerConfig.builder().bidirectional(false).syncNow(false).build()), false),
                new Case(Optional.of(SyncPeerConfig.builder().bidirectional(true).build()), true),
                new Case(Optional.of(SyncPeerConfig.builder().bidirectional(true).syncNow(false).build()), true));
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server();
            for (Case c : cases) {
                SyncNode client = nodes.client();
                GraphId team = Nodes.team(server, client);
                client.syncNow(Nodes.at(server), team, Optional.empty());
                Nodes.write(client, team, 1);
                Nodes.write(server, team, 1);
                client.syncNow(Nodes.at(server), team, c.config());
                assertThat(client.size(team)).as("%s", c).isEqualTo(3); // no merge: it waits for the next append
                assertThat(server.heads(team).equals(client.heads(team))).as("%s", c).isEqualTo(c.expectBoth());
            }
        }
    }

    @Test
    void aClientOnlyNodeConvergesBothWaysOnlyWithBidirectionalSync() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server();
            SyncNode phone = nodes.client();
            GraphId team = Nodes.team(server, phone);
            phone.syncNow(Nodes.at(server), team, Optional.empty());
            Nodes.write(phone, team, 2);
            Nodes.write(server, team, 2);
            phone.syncNow(Nodes.at(server), team, Optional.empty());
            assertThat(server.size(team)).as("unidirectional only pulls").isEqualTo(3);
            phone.syncNow(Nodes.at(server), team, Nodes.BIDI);
            assertThat(server.heads(team)).isEqualTo(phone.heads(team));
            assertThat(phone.listenAddress()).isEmpty();
        }
    }

    @Test
    void aPeerTenThousandCommandsBehindConvergesInOneSyncNow() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode a = nodes.server();
            SyncNode b = nodes.client();
            GraphId team = Nodes.team(a, b);
            List<Command> batch = new ArrayList<>();
            aranya.sync.graph.Address head = a.heads(team).getFirst();
            for (int i = 0; i < 10_000; i++) {
                Command c = Command.action(aranya.sync.graph.DeviceKey.generate(), head, aranya.sync.graph.Priority.basic(1), "x",
                        aranya.sync.graph.Bytes.of(new byte[100]));
                batch.add(c);
                head = c.address();
            }
            Nodes.write(a, team, 10_000);
            SyncSummary s = b.syncNow(Nodes.at(a), team, Optional.empty());
            assertThat(s.added()).isEqualTo(10_001);
            assertThat(b.heads(team)).isEqualTo(a.heads(team));
            assertThat(batch).hasSize(10_000);
        }
    }

    @Test
    void repeatedBulkSyncsFinishWithoutAStall() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server();
            GraphId team = Nodes.team(server);
            byte[] big = new byte[8 * 1024];
            for (int i = 0; i < 1_000; i++) {
                big[0] = (byte) i;
                big[1] = (byte) (i >> 8);
                server.append(team, "blob", big); // 8 MiB of commands in all
            }
            for (int round = 0; round < 5; round++) {
                SyncNode fresh = nodes.client();
                fresh.joinTeam(server.credentials(team));
                SyncSummary s = fresh.syncNow(Nodes.at(server), team, Nodes.BIDI);
                assertThat(s.added()).as("round %d", round).isEqualTo(1_001);
                assertThat(s.bytes()).isGreaterThan(1_000L * 8 * 1024);
                assertThat(fresh.heads(team)).isEqualTo(server.heads(team));
            }
        }
    }

    @Test
    void aTeamThePeerDoesNotShareIsRefused() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode a = nodes.server();
            SyncNode b = nodes.client();
            GraphId theirs = Nodes.team(a);
            GraphId ours = b.createTeam(List.of()).team();
            SyncException e = catchThrowableOfType(SyncException.class, () -> b.syncNow(Nodes.at(a), ours, Optional.empty()));
            assertThat(e.error()).isEqualTo(SyncError.AUTH_FAILED);
            assertThat(a.teams()).containsExactly(theirs);
        }
    }
}
