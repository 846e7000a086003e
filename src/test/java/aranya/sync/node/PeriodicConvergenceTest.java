package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.graph.Address;
import aranya.sync.graph.GraphId;
import aranya.sync.peers.SyncPeerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Nodes told only about their neighbours converge through periodic syncs over QUIC. */
class PeriodicConvergenceTest {
    private static final Duration EVERY = Duration.ofMillis(100);

    @TempDir
    Path dir;

    /** Waits, on commit events rather than time, until every node has the same heads. */
    private static boolean converged(List<SyncNode> nodes, GraphId team, Duration timeout) throws Exception {
        CountDownLatch same = new CountDownLatch(1);
        Runnable check = () -> {
            try {
                List<Address> first = nodes.get(0).heads(team);
                for (SyncNode n : nodes) {
                    if (!n.heads(team).equals(first)) {
                        return;
                    }
                }
                same.countDown();
            } catch (Exception e) {
                // a node closing under us; the timeout decides
            }
        };
        List<AutoCloseable> subscriptions = new ArrayList<>();
        for (SyncNode n : nodes) {
            subscriptions.add(n.onCommands(team, batch -> check.run()));
        }
        try {
            check.run();
            return same.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            for (AutoCloseable s : subscriptions) {
                s.close();
            }
        }
    }

    private static List<SyncNode> team(Nodes nodes, int size, GraphId[] team) throws Exception {
        List<SyncNode> list = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            list.add(nodes.server());
        }
        team[0] = Nodes.team(list.get(0), list.subList(1, size).toArray(SyncNode[]::new));
        for (SyncNode n : list.subList(1, size)) {
            n.syncNow(Nodes.at(list.get(0)), team[0], Optional.empty()); // fetch the init command
        }
        for (SyncNode n : list) {
            Nodes.write(n, team[0], 3); // everyone diverges
        }
        return list;
    }

    private void assertSameBraid(List<SyncNode> nodes, GraphId team) throws Exception {
        for (SyncNode n : nodes) {
            assertThat(n.commands(team)).isEqualTo(nodes.get(0).commands(team));
        }
        assertThat(nodes.get(0).commands(team)).hasSize(1 + 3 * nodes.size());
    }

    @Test
    void aFiveNodeLineConvergesUnidirectionally() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            GraphId[] team = new GraphId[1];
            List<SyncNode> line = team(nodes, 5, team);
            SyncPeerConfig uni = SyncPeerConfig.builder().interval(EVERY).build();
            for (int i = 0; i < line.size(); i++) {
                if (i > 0) {
                    line.get(i).addSyncPeer(Nodes.at(line.get(i - 1)), team[0], uni);
                }
                if (i + 1 < line.size()) {
                    line.get(i).addSyncPeer(Nodes.at(line.get(i + 1)), team[0], uni);
                }
            }
            assertThat(converged(line, team[0], Duration.ofSeconds(60))).isTrue();
            assertSameBraid(line, team[0]);
        }
    }

    @Test
    void aFiveNodeLineConvergesBidirectionallyWithEachNodeDialingOnlyTheNext() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            GraphId[] team = new GraphId[1];
            List<SyncNode> line = team(nodes, 5, team);
            SyncPeerConfig bidi = SyncPeerConfig.builder().interval(EVERY).bidirectional(true).build();
            for (int i = 0; i + 1 < line.size(); i++) {
                line.get(i).addSyncPeer(Nodes.at(line.get(i + 1)), team[0], bidi);
            }
            assertThat(converged(line, team[0], Duration.ofSeconds(60))).isTrue();
            assertSameBraid(line, team[0]);
        }
    }

    /**
     * Unidirectionally every node pulls from both ring neighbours, as in Aranya's ring test;
     * bidirectionally each node dials only the next one, and each edge carries both ways.
     * (A directed ring of one-way pulls never settles with eager merges: every pull of new
     * commands makes a new merge the next node lacks. Aranya's lazy merges, core@HEAD, avoid that.)
     */
    @Test
    void aTenNodeRingConvergesEitherWay() throws Exception {
        for (boolean bidirectional : new boolean[] {false, true}) {
            try (Nodes nodes = new Nodes(dir.resolve("ring-" + bidirectional))) {
                GraphId[] team = new GraphId[1];
                List<SyncNode> ring = team(nodes, 10, team);
                SyncPeerConfig config = SyncPeerConfig.builder().interval(EVERY).bidirectional(bidirectional).build();
                for (int i = 0; i < ring.size(); i++) {
                    ring.get(i).addSyncPeer(Nodes.at(ring.get((i + 1) % ring.size())), team[0], config);
                    if (!bidirectional) {
                        ring.get(i).addSyncPeer(Nodes.at(ring.get((i + ring.size() - 1) % ring.size())), team[0], config);
                    }
                }
                assertThat(converged(ring, team[0], Duration.ofSeconds(90))).as("bidirectional=%s", bidirectional).isTrue();
                assertSameBraid(ring, team[0]);
            }
        }
    }
}
