package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.DeviceKey;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.Priority;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.storage.InMemoryStorageProvider;
import aranya.sync.protocol.BidirectionalSyncException;
import aranya.sync.protocol.MessageStream;
import aranya.sync.quic.TransportConfig;
import aranya.sync.wire.Limits;
import aranya.sync.wire.MessageCodec;
import aranya.sync.wire.ResponseEnvelope;
import aranya.sync.wire.SessionId;
import aranya.sync.wire.SyncRequestMessage;
import aranya.sync.wire.SyncResponder;
import aranya.sync.wire.SyncType;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scripted server over real QUIC misbehaves at each step of the bidirectional exchange;
 * a real client node reports ServerRequestFailed or ClientResponseFailed and keeps what the first direction brought.
 */
class QuicFailureTest {
    @TempDir
    Path dir;

    private final DeviceKey founder = DeviceKey.generate();
    private final byte[] secret = new byte[32];
    private Graph serverGraph;

    /** The server's part: answers the poll honestly from serverGraph, then runs afterwards. */
    private interface Afterwards {
        void run(MessageStream stream) throws Exception;
    }

    private ScriptedServer scripted(Afterwards afterwards) throws Exception {
        new SecureRandom().nextBytes(secret);
        Command init = TeamMembersPolicy.createTeam(founder, List.of());
        serverGraph = Graph.open(new InMemoryStorageProvider().open(GraphId.of(init.id())), new TeamMembersPolicy());
        serverGraph.addCommands(List.of(init));
        for (int i = 0; i < 3; i++) {
            serverGraph.append(founder, Priority.basic(1), "m", Bytes.of(new byte[] {(byte) i}));
        }
        return ScriptedServer.start(serverGraph.id(), secret, TransportConfig.builder().idleTimeout(Duration.ofSeconds(10)).build(),
                (stream, poll) -> {
                    SyncResponder responder = new SyncResponder(serverGraph, (SyncRequestMessage.SyncRequest) poll.request(),
                            Limits.MAX_SYNC_MESSAGE_SIZE);
                    while (!responder.ended()) {
                        stream.send(ScriptedServer.ok(responder.next()));
                    }
                    afterwards.run(stream);
                });
    }

    private SyncNode client(Duration idleTimeout) throws Exception {
        SyncNode node = SyncNode.builder(dir.resolve("client")).idleTimeout(idleTimeout).open();
        node.joinTeam(new TeamCredentials(serverGraph.id(), secret));
        return node;
    }

    @Test
    void aBrokenServerRequestIsServerRequestFailedAndTheFirstDirectionStays() throws Exception {
        try (ScriptedServer server = scripted(stream -> {
            stream.send(new byte[] {0, 9, 9, 9});
            stream.finish();
        }); SyncNode client = client(Duration.ofSeconds(10))) {
            SyncException e = catchThrowableOfType(SyncException.class, () -> client.syncNow(server.address(), serverGraph.id(), Nodes.BIDI));
            assertThat(e.getCause()).isInstanceOf(BidirectionalSyncException.ServerRequestFailed.class);
            assertThat(client.heads(serverGraph.id())).isEqualTo(serverGraph.heads());
        }
    }

    @Test
    void aRefusedClientResponseIsClientResponseFailedAndTheFirstDirectionStays() throws Exception {
        try (ScriptedServer server = scripted(stream -> {
            SyncRequestMessage.SyncRequest ours = new SyncRequestMessage.SyncRequest(new SessionId(5, 6), serverGraph.id(), 0, List.of());
            stream.send(MessageCodec.encode(new SyncType.Poll(ours, false)));
            while (stream.receive().isPresent()) {
                // read the client's answer, then refuse it
            }
            stream.send(MessageCodec.encode(new ResponseEnvelope.Err("not today")));
            stream.finish();
        }); SyncNode client = client(Duration.ofSeconds(10))) {
            SyncException e = catchThrowableOfType(SyncException.class, () -> client.syncNow(server.address(), serverGraph.id(), Nodes.BIDI));
            assertThat(e.getCause()).isInstanceOf(BidirectionalSyncException.ClientResponseFailed.class);
            assertThat(e.error()).isEqualTo(SyncError.PEER_ERROR);
            assertThat(e).hasMessageContaining("not today");
            assertThat(client.heads(serverGraph.id())).isEqualTo(serverGraph.heads());
        }
    }

    @Test
    void aSilentPeerFailsByTheSessionDeadline() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (ScriptedServer server = scripted(stream -> release.await()); SyncNode client = client(Duration.ofSeconds(1))) {
            SyncException e = catchThrowableOfType(SyncException.class, () -> client.syncNow(server.address(), serverGraph.id(), Nodes.BIDI));
            assertThat(e.getCause()).isInstanceOf(BidirectionalSyncException.ServerRequestFailed.class);
            assertThat(e.error()).isEqualTo(SyncError.TIMEOUT);
        } finally {
            release.countDown();
        }
    }
}
