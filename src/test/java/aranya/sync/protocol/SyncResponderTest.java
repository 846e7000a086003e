package aranya.sync.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Address;
import aranya.sync.graph.Command;
import aranya.sync.graph.CommandId;
import aranya.sync.graph.GraphId;
import aranya.sync.wire.Limits;
import aranya.sync.wire.MessageCodec;
import aranya.sync.wire.SessionId;
import aranya.sync.wire.SyncRequestMessage;
import aranya.sync.wire.SyncResponder;
import aranya.sync.wire.SyncResponseMessage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class SyncResponderTest {
    private final Command init = TestPeer.newTeam();

    private static SyncRequestMessage.SyncRequest request(GraphId graph, long maxBytes, List<Address> known) {
        return new SyncRequestMessage.SyncRequest(new SessionId(3, 4), graph, maxBytes, known);
    }

    /**
     * Whatever the message size and byte budget, the responses of a session together are a
     * prefix of the missing commands in order, each response fits its message, and repeating
     * sessions from what was received delivers everything exactly once.
     */
    @RepeatedTest(5)
    void cutsAnywhereLoseNothingAndRepeatNothing(RepetitionInfo rep) throws Exception {
        Random rnd = new Random(rep.getCurrentRepetition());
        try (TestPeer server = TestPeer.of(init); TestPeer side = TestPeer.of(init); TestPeer client = TestPeer.of(init)) {
            for (int i = 0; i < 12; i++) {
                (rnd.nextBoolean() ? server : side).append(1 + rnd.nextInt(20), 1 + rnd.nextInt(3000));
                if (rnd.nextInt(3) == 0) {
                    server.graph.addCommands(side.graph.missing(server.graph.sample(List.of(), 100)));
                }
            }
            server.graph.addCommands(side.graph.missing(server.graph.sample(List.of(), 100)));
            int messageBytes = 4096 + rnd.nextInt(20_000);
            Set<CommandId> delivered = new HashSet<>();
            for (int session = 0; session < 1000; session++) {
                long maxBytes = rnd.nextInt(3) == 0 ? 0 : 1000 + rnd.nextInt(30_000);
                SyncResponder responder = new SyncResponder(server.graph,
                        request(server.graph.id(), maxBytes, client.graph.sample(List.of(), 100)), messageBytes);
                List<Command> expected = server.graph.missing(client.graph.sample(List.of(), 100));
                List<Command> got = new ArrayList<>();
                SyncResponseMessage m = responder.next();
                while (m instanceof SyncResponseMessage.SyncResponse response) {
                    List<Command> commands = response.commands();
                    assertThat(commands).hasSizeLessThanOrEqualTo(Limits.COMMAND_RESPONSE_MAX);
                    assertThat(MessageCodec.encode(m).length + 8).isLessThanOrEqualTo(messageBytes);
                    got.addAll(commands);
                    m = responder.next();
                }
                SyncResponseMessage.SyncEnd end = (SyncResponseMessage.SyncEnd) m;
                assertThat(got).isEqualTo(expected.subList(0, got.size()));
                assertThat(end.remaining()).isEqualTo(got.size() < expected.size());
                for (Command c : got) {
                    assertThat(delivered.add(c.id())).as("sent twice: %s", c.id()).isTrue();
                }
                client.graph.addCommands(got);
                if (!end.remaining()) {
                    break;
                }
            }
            assertThat(client.graph.missing(List.of()).stream().map(Command::id).toList())
                    .containsAll(server.graph.missing(List.of()).stream().map(Command::id).toList());
        }
    }

    @Test
    void aRequestForAnotherGraphIsRefused() throws Exception {
        try (TestPeer server = TestPeer.of(init)) {
            assertThatThrownBy(() -> new SyncResponder(server.graph, request(GraphId.of(new byte[32]), 0, List.of()), 1000))
                    .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.WRONG_GRAPH));
        }
    }

    @Test
    void aCommandLargerThanAMessageIsACommandOverflow() throws Exception {
        try (TestPeer server = TestPeer.of(init)) {
            server.append(1, 5000);
            SyncResponder responder = new SyncResponder(server.graph, request(server.graph.id(), 0, List.of(init.address())), 4000);
            assertThatThrownBy(responder::next)
                    .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.COMMAND_OVERFLOW));
        }
    }
}
