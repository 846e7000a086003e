package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.graph.GraphId;
import aranya.sync.peers.PeerAddress;
import aranya.sync.protocol.SyncSummary;
import aranya.sync.quic.ImpairedUdpLink;
import aranya.sync.quic.ImpairedUdpLink.Impairment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fresh and pooled bidirectional syncs over a delayed path converge both ways in one call; and
 * a measurement: how many round trips each takes from the first handshake packet to the call's
 * return, printed as medians. CI runs one round at 20 ms each way; the measurement is
 * {@code -Daranya.rtt=true}: five rounds at 100 ms each way, a delay that dwarfs everything else.
 */
class RoundTripCountTest {
    private static final boolean MEASURE = Boolean.getBoolean("aranya.rtt");
    private static final Duration ONE_WAY = Duration.ofMillis(MEASURE ? 100 : 20);
    private static final int RUNS = MEASURE ? 5 : 1;
    private static final int COMMANDS_EACH = 20;

    @TempDir
    Path dir;

    @Test
    void countRoundTripsOfAFreshAndAPooledBidirectionalSync() throws Exception {
        List<Double> fresh = new ArrayList<>();
        List<Double> pooled = new ArrayList<>();
        Impairment delayed = new Impairment(0, 0, 0, ONE_WAY, Duration.ZERO);
        double rtt = 2.0 * ONE_WAY.toNanos();
        for (int run = 0; run < RUNS; run++) {
            try (Nodes nodes = new Nodes(dir.resolve("run" + run))) {
                SyncNode server = nodes.server();
                SyncNode client = nodes.client();
                GraphId team = Nodes.team(server, client);
                client.syncNow(Nodes.at(server), team, java.util.Optional.empty()); // the init command, straight, not through the link
                try (ImpairedUdpLink link = new ImpairedUdpLink(server.listenAddress().orElseThrow(), delayed, run)) {
                    PeerAddress at = PeerAddress.of(link.address());
                    for (List<Double> series : List.of(fresh, pooled)) {
                        Nodes.write(server, team, COMMANDS_EACH);
                        Nodes.write(client, team, COMMANDS_EACH);
                        long start = System.nanoTime();
                        SyncSummary s = client.syncNow(at, team, Nodes.BIDI);
                        series.add((System.nanoTime() - start) / rtt);
                        assertThat(s.remaining()).isFalse();
                        assertThat(client.heads(team)).isEqualTo(server.heads(team));
                    }
                }
            }
        }
        System.out.printf("round trips (RTT %d ms), median of %d: fresh connection %.2f %s, pooled connection %.2f %s%n",
                2 * ONE_WAY.toMillis(), RUNS, median(fresh), fresh, median(pooled), pooled);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
