package aranya.sync.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.graph.Command;
import aranya.sync.graph.GraphId;
import aranya.sync.wire.Limits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * Eight peers append at random and sync pairwise at random, uni- or bidirectionally, with
 * random byte limits that cut sessions short; then a bounded number of full rounds must leave
 * every peer with the same graph and the same braid order.
 */
class MultiPeerConvergenceTest {
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private final List<TestPeer> peers = new ArrayList<>();

    private SyncSummary sync(TestPeer client, TestPeer server, boolean bidirectional, long maxBytes) throws Exception {
        InMemoryMessageStream[] pair = InMemoryMessageStream.pair("peer" + peers.indexOf(client), "peer" + peers.indexOf(server),
                Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
        CompletableFuture<SyncSummary> served = server.serve(pair[1], id -> true);
        SyncSummary s = new SyncSession(pair[0], client.cache, Limits.MAX_SYNC_MESSAGE_SIZE).requestSync(client.graph, bidirectional, maxBytes);
        served.get(20, TimeUnit.SECONDS);
        return s;
    }

    @RepeatedTest(4)
    void eightPeersConvergeToOneGraphAndOneBraid(RepetitionInfo rep) throws Exception {
        long seed = 0xC0DE_0000L + rep.getCurrentRepetition();
        Random rnd = new Random(seed);
        Command init = TestPeer.newTeam();
        peers.add(TestPeer.of(init));
        for (int i = 1; i < 8; i++) {
            peers.add(TestPeer.empty(GraphId.of(init.id())));
        }
        int duplicates = 0;
        for (int step = 0; step < 300; step++) {
            TestPeer p = peers.get(rnd.nextInt(peers.size()));
            if (rnd.nextInt(3) == 0 && !p.graph.isEmpty()) {
                p.append(1 + rnd.nextInt(3), 20);
            } else {
                TestPeer other = peers.get(rnd.nextInt(peers.size()));
                if (other != p) {
                    long maxBytes = rnd.nextBoolean() ? 0 : 200 + rnd.nextInt(2000);
                    duplicates += sync(p, other, rnd.nextBoolean(), maxBytes).duplicates();
                }
            }
        }
        // Full rounds, repeating each pair's session while the responder had more to send.
        for (int round = 0; round < 3; round++) {
            for (TestPeer a : peers) {
                for (TestPeer b : peers) {
                    if (a != b) {
                        for (int session = 0; session < 100 && sync(a, b, true, 0).remaining(); session++) {
                            // a byte limit of 0 never leaves anything over; the loop guards the contract
                        }
                    }
                }
            }
        }
        TestPeer ref = peers.get(0);
        for (TestPeer p : peers) {
            assertThat(p.graph.heads()).as("seed %x", seed).isEqualTo(ref.graph.heads());
            assertThat(p.graph.weave()).as("seed %x", seed).isEqualTo(ref.graph.weave());
            assertThat(p.graph.size()).isEqualTo(ref.graph.size());
        }
        assertThat(duplicates).as("seed %x: duplicates during random syncs", seed).isLessThan(ref.graph.size() / 4);
        for (TestPeer p : peers) {
            p.close();
        }
    }
}
