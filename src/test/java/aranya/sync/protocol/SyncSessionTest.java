package aranya.sync.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Command;
import aranya.sync.graph.GraphId;
import aranya.sync.wire.Limits;
import aranya.sync.wire.MessageCodec;
import aranya.sync.wire.SyncRequester;
import aranya.sync.wire.SyncType;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Whole sessions, client against server, over in-memory streams. */
class SyncSessionTest {
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private static SyncSummary sync(TestPeer client, TestPeer server, boolean bidirectional) throws Exception {
        InMemoryMessageStream[] pair = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
        CompletableFuture<SyncSummary> served = server.serve(pair[1], id -> true);
        SyncSummary summary = new SyncSession(pair[0], client.cache, Limits.MAX_SYNC_MESSAGE_SIZE).requestSync(client.graph, bidirectional);
        served.get(20, TimeUnit.SECONDS);
        return summary;
    }

    @Test
    void unidirectionalPullsOnly() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer a = TestPeer.of(init); TestPeer b = TestPeer.of(init)) {
            a.append(3, 10);
            b.append(2, 10);
            SyncSummary s = sync(a, b, false);
            assertThat(s.added()).isEqualTo(2);
            assertThat(s.sent()).isZero();
            assertThat(b.graph.size()).isEqualTo(3);
            assertThat(a.graph.size()).isEqualTo(1 + 3 + 2); // no merge: a merges when it next appends
            assertThat(a.graph.heads()).hasSize(2);
        }
    }

    @Test
    void bidirectionalConvergesBothPeersOverOneStream() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer a = TestPeer.of(init); TestPeer b = TestPeer.of(init)) {
            a.append(3, 10);
            b.append(2, 10);
            SyncSummary s = sync(a, b, true);
            assertThat(s.added()).isEqualTo(2);
            assertThat(s.sent()).isEqualTo(3); // a's three commands; neither side merged
            assertThat(b.graph.heads()).isEqualTo(a.graph.heads());
            assertThat(b.graph.weave()).isEqualTo(a.graph.weave());
        }
    }

    @Test
    void aPeerTenThousandCommandsBehindConvergesInOneCall() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer a = TestPeer.empty(GraphId.of(init.id())); TestPeer b = TestPeer.of(init)) {
            b.append(10_000, 100);
            SyncSummary s = sync(a, b, false);
            assertThat(s.added()).isEqualTo(10_001);
            assertThat(s.duplicates()).isZero();
            assertThat(a.graph.heads()).isEqualTo(b.graph.heads());
        }
    }

    @Test
    void largeCommandsAreSplitAcrossResponsesWithoutLoss() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer a = TestPeer.of(init); TestPeer b = TestPeer.of(init)) {
            b.append(30, 60_000); // about 8 responses of at most three commands each
            assertThat(sync(a, b, false).added()).isEqualTo(30);
            assertThat(a.graph.heads()).isEqualTo(b.graph.heads());
        }
    }

    @Test
    void everyFlagCombinationConverges() throws Exception {
        for (boolean clientBidi : new boolean[] {false, true}) {
            Command init = TestPeer.newTeam();
            try (TestPeer a = TestPeer.of(init); TestPeer b = TestPeer.of(init)) {
                a.append(1, 1);
                b.append(1, 1);
                sync(a, b, clientBidi);
                assertThat(b.graph.heads().equals(a.graph.heads())).as("bidirectional=%s", clientBidi).isEqualTo(clientBidi);
                assertThat(a.graph.size()).isEqualTo(3);
            }
        }
    }

    @Test
    void anOldClientWithoutTheFlagIsServedUnidirectionally() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer a = TestPeer.of(init); TestPeer b = TestPeer.of(init)) {
            b.append(2, 1);
            InMemoryMessageStream[] pair = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
            CompletableFuture<SyncSummary> served = b.serve(pair[1], id -> true);
            byte[] poll = MessageCodec.encode(new SyncType.Poll(new SyncRequester(a.graph).request(java.util.List.of(), 0), false));
            pair[0].send(Arrays.copyOf(poll, poll.length - 1)); // a v0.22 Poll: no flag byte at all
            pair[0].finish();
            int frames = 0;
            while (pair[0].receive().isPresent()) {
                frames++;
            }
            assertThat(frames).isEqualTo(2); // one response and SyncEnd, then the server finished
            assertThat(served.get(20, TimeUnit.SECONDS).sent()).isEqualTo(2);
        }
    }

    @Test
    void anUnauthorizedGraphIsRefusedInBand() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer a = TestPeer.of(init); TestPeer b = TestPeer.of(init)) {
            b.append(2, 1);
            InMemoryMessageStream[] pair = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
            CompletableFuture<SyncSummary> served = b.serve(pair[1], id -> false);
            assertThatThrownBy(() -> new SyncSession(pair[0], a.cache, Limits.MAX_SYNC_MESSAGE_SIZE).requestSync(a.graph, true))
                    .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.PEER_ERROR))
                    .hasMessageContaining("AUTH_FAILED");
            assertThat(a.graph.size()).isEqualTo(1);
            pair[0].close(); // as a node does after a failed session; the server waits for our end until then
            assertThat(served).failsWithin(Duration.ofSeconds(20)).withThrowableThat()
                    .havingCause().isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.AUTH_FAILED));
        }
    }

    @Test
    void repeatedSyncsSendNothingTwice() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer a = TestPeer.of(init); TestPeer b = TestPeer.of(init)) {
            for (int round = 0; round < 5; round++) {
                a.append(7, 1);
                b.append(5, 1);
                SyncSummary s = sync(a, b, true);
                assertThat(s.duplicates()).as("round %d", round).isZero();
            }
            SyncSummary inSync = sync(a, b, true);
            assertThat(inSync.received() + inSync.sent()).isZero();
            assertThat(inSync.bytes()).isPositive().isLessThan(4096); // the two requests and two SyncEnds
        }
    }
}
