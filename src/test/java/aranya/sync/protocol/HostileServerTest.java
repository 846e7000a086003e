package aranya.sync.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.GraphId;
import aranya.sync.wire.Limits;
import aranya.sync.wire.MessageCodec;
import aranya.sync.wire.ResponseEnvelope;
import aranya.sync.wire.SessionId;
import aranya.sync.wire.SyncRequestMessage;
import aranya.sync.wire.SyncResponseMessage;
import aranya.sync.wire.SyncType;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A scripted fake server (in the style of OkHttp's MockHttp2Peer) feeds the client malformed,
 * truncated, out-of-order and failing exchanges; each ends in a typed error, and whatever the
 * client committed before the failure stays.
 */
class HostileServerTest {
    private final Command init = TestPeer.newTeam();

    /** A fake server: reads the client's Poll, then runs script with the session id. */
    private SyncException clientFailure(TestPeer client, boolean bidirectional, Duration deadline, Script script) {
        InMemoryMessageStream[] pair = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, deadline);
        Thread.ofVirtual().start(() -> {
            try {
                byte[] poll = pair[1].receive().orElseThrow();
                SyncType.Poll p = (SyncType.Poll) MessageCodec.decodeSyncType(poll, 0, poll.length);
                script.run(pair[1], p.request().sessionId());
            } catch (Exception e) {
                pair[1].close();
            }
        });
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(
                () -> new SyncSession(pair[0], client.cache, Limits.MAX_SYNC_MESSAGE_SIZE).requestSync(client.graph, bidirectional));
        assertThat(t).isInstanceOf(SyncException.class);
        return (SyncException) t;
    }

    interface Script {
        void run(InMemoryMessageStream server, SessionId session) throws Exception;
    }

    private static byte[] ok(SyncResponseMessage m) {
        return MessageCodec.encode(new ResponseEnvelope.Ok(Bytes.of(MessageCodec.encode(m))));
    }

    private static Consumer<SyncException> code(SyncError e) {
        return ex -> assertThat(ex.error()).isEqualTo(e);
    }

    @Test
    void garbageIsMalformed() throws Exception {
        try (TestPeer a = TestPeer.of(init)) {
            SyncException e = clientFailure(a, false, Duration.ofSeconds(10), (s, id) -> s.send(new byte[] {7, 7, 7}));
            code(SyncError.MALFORMED).accept(e);
        }
    }

    @Test
    void aTruncatedResponseIsMalformedAndCommitsNothing() throws Exception {
        try (TestPeer a = TestPeer.of(init); TestPeer b = TestPeer.of(init)) {
            List<Command> theirs = b.append(3, 50);
            SyncException e = clientFailure(a, false, Duration.ofSeconds(10), (s, id) -> {
                byte[] full = ok(new SyncResponseMessage.SyncResponse(id, 0, theirs));
                s.send(Arrays.copyOf(full, full.length - 10)); // the last body is cut short
            });
            code(SyncError.MALFORMED).accept(e);
            assertThat(a.graph.size()).isEqualTo(1);
        }
    }

    @Test
    void aWrongSessionIdIsASessionMismatch() throws Exception {
        try (TestPeer a = TestPeer.of(init)) {
            SyncException e = clientFailure(a, false, Duration.ofSeconds(10),
                    (s, id) -> s.send(ok(new SyncResponseMessage.SyncEnd(new SessionId(id.high(), id.low() + 1), 0, false))));
            code(SyncError.SESSION_MISMATCH).accept(e);
        }
    }

    @Test
    void aSkippedResponseIndexIsDetected() throws Exception {
        try (TestPeer a = TestPeer.of(init); TestPeer b = TestPeer.of(init)) {
            List<Command> theirs = b.append(2, 5);
            SyncException e = clientFailure(a, false, Duration.ofSeconds(10),
                    (s, id) -> s.send(ok(new SyncResponseMessage.SyncResponse(id, 1, theirs))));
            code(SyncError.MISSING_SYNC_RESPONSE).accept(e);
        }
    }

    @Test
    void anErrorReplyIsAPeerError() throws Exception {
        try (TestPeer a = TestPeer.of(init)) {
            SyncException e = clientFailure(a, false, Duration.ofSeconds(10),
                    (s, id) -> s.send(MessageCodec.encode(new ResponseEnvelope.Err("no"))));
            code(SyncError.PEER_ERROR).accept(e);
        }
    }

    @Test
    void aServerThatFinishesBeforeSyncEndIsCaught() throws Exception {
        try (TestPeer a = TestPeer.of(init)) {
            SyncException e = clientFailure(a, false, Duration.ofSeconds(10), (s, id) -> s.finish());
            code(SyncError.UNEXPECTED_MESSAGE).accept(e);
        }
    }

    @Test
    void aSilentServerFailsByTheDeadline() throws Exception {
        try (TestPeer a = TestPeer.of(init)) {
            SyncException e = clientFailure(a, false, Duration.ofMillis(200), (s, id) -> { });
            code(SyncError.TIMEOUT).accept(e);
        }
    }

    @Test
    void aBadServerRequestIsServerRequestFailedAndKeepsWhatWasPulled() throws Exception {
        try (TestPeer a = TestPeer.of(init); TestPeer b = TestPeer.of(init)) {
            List<Command> theirs = b.append(2, 5);
            SyncException e = clientFailure(a, true, Duration.ofSeconds(10), (s, id) -> {
                s.send(ok(new SyncResponseMessage.SyncResponse(id, 0, theirs)));
                s.send(ok(new SyncResponseMessage.SyncEnd(id, 1, false)));
                s.send(new byte[] {0, 9, 9}); // not a request
                s.finish();
            });
            assertThat(e.getCause()).isInstanceOf(BidirectionalSyncException.ServerRequestFailed.class);
            code(SyncError.MALFORMED).accept(e);
            assertThat(e.getMessage()).startsWith("MALFORMED: server sync request failed").containsOnlyOnce("MALFORMED");
            assertThat(a.graph.contains(theirs.get(1).id())).isTrue();
        }
    }

    @Test
    void aFailedResponseToTheServerIsClientResponseFailedAndKeepsWhatWasPulled() throws Exception {
        try (TestPeer a = TestPeer.of(init); TestPeer b = TestPeer.of(init)) {
            List<Command> theirs = b.append(2, 5);
            SyncException e = clientFailure(a, true, Duration.ofSeconds(10), (s, id) -> {
                s.send(ok(new SyncResponseMessage.SyncResponse(id, 0, theirs)));
                s.send(ok(new SyncResponseMessage.SyncEnd(id, 1, false)));
                // A request for a graph the client does not serve on this stream.
                GraphId other = GraphId.of(new byte[32]);
                s.send(MessageCodec.encode(new SyncType.Poll(
                        new SyncRequestMessage.SyncRequest(new SessionId(1, 2), other, 0, List.of()), false)));
                s.finish();
            });
            assertThat(e.getCause()).isInstanceOf(BidirectionalSyncException.ClientResponseFailed.class);
            code(SyncError.WRONG_GRAPH).accept(e);
            assertThat(a.graph.contains(theirs.get(1).id())).isTrue();
        }
    }

    @Test
    void forgedCommandsFailTheBatchWithTheirError() throws Exception {
        try (TestPeer a = TestPeer.of(init); TestPeer b = TestPeer.of(init)) {
            Command real = b.append(1, 5).get(0);
            Command forged = new Command(real.id(), real.priority(), real.parent(), real.policy(), Bytes.of(new byte[] {1, 2, 3}));
            SyncException e = clientFailure(a, false, Duration.ofSeconds(10), (s, id) -> {
                s.send(ok(new SyncResponseMessage.SyncResponse(id, 0, List.of(forged))));
                s.send(ok(new SyncResponseMessage.SyncEnd(id, 1, false)));
                s.finish();
            });
            assertThat(e.error()).as(e.getMessage()).isEqualTo(SyncError.MALFORMED);
            assertThat(e).hasMessageContaining(real.id().toString());
            assertThat(a.graph.size()).isEqualTo(1);
        }
    }
}
