package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.LogRecords;
import aranya.sync.graph.GraphId;
import aranya.sync.peers.PeerAddress;
import aranya.sync.peers.SyncPeerConfig;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a node logs about syncs: one line per failure at one level, one INFO line per served session. */
class SyncLogTest {
    @TempDir
    Path dir;

    @Test
    void eachFailedScheduledSyncIsOneWarningLine() throws Exception {
        // A UDP port that takes datagrams and never answers: every handshake times out.
        try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                Nodes nodes = new Nodes(dir);
                LogRecords log = LogRecords.of("aranya.sync")) {
            SyncNode node = nodes.add(nodes.builder().connectTimeout(Duration.ofMillis(300)).open());
            GraphId team = node.createTeam(List.of()).team();
            PeerAddress dead = new PeerAddress("127.0.0.1", silent.getLocalPort());
            String peer = dead.toString();
            node.addSyncPeer(dead, team, SyncPeerConfig.builder().interval(Duration.ofMillis(50)).build());
            // Three failures in a row: the third is where the node also marks the peer as stalled.
            log.await(r -> r.getLevel().intValue() >= Level.WARNING.intValue() && LogRecords.text(r).contains(peer), 3,
                    Duration.ofSeconds(60));
            node.removeSyncPeer(dead, team);

            List<LogRecord> aboutPeer = log.matching(r -> r.getLevel().intValue() >= Level.INFO.intValue()
                    && LogRecords.text(r).contains(peer));
            assertThat(aboutPeer).allSatisfy(r -> assertThat(r.getLevel()).isEqualTo(Level.WARNING));
            // One line per failure: the lines count the failures 1, 2, 3... each once.
            Pattern inARow = Pattern.compile("\\((\\d+) in a row\\)");
            List<Integer> counts = aboutPeer.stream().map(r -> {
                Matcher m = inARow.matcher(LogRecords.text(r));
                assertThat(m.find()).as("a failure line with its count: %s", LogRecords.text(r)).isTrue();
                return Integer.parseInt(m.group(1));
            }).toList();
            assertThat(counts).startsWith(1, 2, 3).doesNotHaveDuplicates().isSorted();
            // The error code appears once in each line.
            assertThat(aboutPeer).allSatisfy(r -> assertThat(LogRecords.text(r)).containsOnlyOnce("TRANSPORT"));
        }
    }

    @Test
    void aServedSessionIsOneInfoLineWithPeerTeamCountsAndDuration() throws Exception {
        try (Nodes nodes = new Nodes(dir); LogRecords log = LogRecords.of("aranya.sync")) {
            SyncNode server = nodes.server();
            SyncNode client = nodes.client();
            GraphId team = Nodes.team(server, client);
            Nodes.write(server, team, 3);
            client.syncNow(Nodes.at(server), team, Optional.empty());

            List<LogRecord> served = log.await(r -> LogRecords.text(r).startsWith("served "), 1, Duration.ofSeconds(30));
            assertThat(served).hasSize(1);
            LogRecord line = served.get(0);
            assertThat(line.getLevel()).isEqualTo(Level.INFO);
            assertThat(LogRecords.text(line))
                    .startsWith("served 127.0.0.1:")                 // the peer
                    .contains("team " + team)
                    .contains("unidirectional, sent 4, received 0")  // the init command and three more
                    .containsPattern("\\d+ bytes, \\d+ ms$");        // bytes and duration
        }
    }
}
