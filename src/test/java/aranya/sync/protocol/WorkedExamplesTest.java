package aranya.sync.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.graph.Address;
import aranya.sync.graph.Command;
import aranya.sync.graph.CommandId;
import aranya.sync.wire.Limits;
import aranya.sync.wire.SessionId;
import aranya.sync.wire.SyncRequestMessage;
import aranya.sync.wire.SyncResponder;
import aranya.sync.wire.SyncResponseMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The three sync examples of Aranya's docs/sync.md: given what Peer1 names, Peer2 sends
 * exactly the commands the document lists. The document's merge H is part of the received
 * batch, as a peer that merges eagerly sends it (our graph merges only when it appends).
 */
class WorkedExamplesTest {
    private final Command a = TestPeer.newTeam();

    /** What the responder sends for a request naming these addresses. */
    private static List<CommandId> respond(TestPeer peer2, List<Address> named) throws Exception {
        SyncResponder responder = new SyncResponder(peer2.graph,
                new SyncRequestMessage.SyncRequest(new SessionId(0, 1), peer2.graph.id(), 0, named), Limits.MAX_SYNC_MESSAGE_SIZE);
        List<CommandId> sent = new ArrayList<>();
        while (!responder.ended()) {
            if (responder.next() instanceof SyncResponseMessage.SyncResponse r) {
                r.commands().forEach(c -> sent.add(c.id()));
            }
        }
        return sent;
    }

    private static Map<CommandId, String> names(Map<String, Command> byName) {
        return byName.entrySet().stream().collect(Collectors.toMap(e -> e.getValue().id(), Map.Entry::getKey));
    }

    @Test
    void example1PeerTwoIsOneAhead() throws Exception {
        try (TestPeer peer2 = TestPeer.of(a)) {
            List<Command> bcd = peer2.append(3, 1);
            Map<String, Command> n = Map.of("A", a, "B", bcd.get(0), "C", bcd.get(1), "D", bcd.get(2));
            List<CommandId> sent = respond(peer2, List.of(a.address(), n.get("C").address()));
            assertThat(sent).extracting(names(n)::get).containsExactly("D");
        }
    }

    @Test
    void example2PeerTwoHasABranchAndAMerge() throws Exception {
        try (TestPeer peer2 = TestPeer.of(a)) {
            List<Command> bcd = TestPeer.chain(a.address(), 3, 1);
            List<Command> efg = TestPeer.chain(a.address(), 3, 1);
            List<Command> both = new ArrayList<>(bcd);
            both.addAll(efg);
            Command h = Command.merge(bcd.get(2).address(), efg.get(2).address());
            both.add(h);
            peer2.graph.addCommands(both);
            Map<String, Command> n = Map.of("A", a, "B", bcd.get(0), "C", bcd.get(1), "D", bcd.get(2),
                    "E", efg.get(0), "F", efg.get(1), "G", efg.get(2), "H", h);
            List<CommandId> sent = respond(peer2, List.of(a.address(), n.get("C").address()));
            assertThat(sent).extracting(names(n)::get).containsExactlyInAnyOrder("D", "E", "F", "G", "H");
            assertThat(sent.get(sent.size() - 1)).isEqualTo(h.id()); // parents first
        }
    }

    @Test
    void example3PeerOneHasItsOwnMergeThatPeerTwoLacks() throws Exception {
        try (TestPeer peer2 = TestPeer.of(a)) {
            List<Command> bcd = TestPeer.chain(a.address(), 3, 1);
            List<Command> efg = TestPeer.chain(a.address(), 3, 1);
            List<Command> both = new ArrayList<>(bcd);
            both.addAll(efg);
            Command h = Command.merge(bcd.get(2).address(), efg.get(2).address());
            both.add(h);
            peer2.graph.addCommands(both);
            Command i = Command.merge(bcd.get(1).address(), efg.get(0).address()); // Peer1's merge of C and E
            Map<String, Command> n = Map.of("A", a, "B", bcd.get(0), "C", bcd.get(1), "D", bcd.get(2),
                    "E", efg.get(0), "F", efg.get(1), "G", efg.get(2), "H", h);
            List<CommandId> sent = respond(peer2, List.of(n.get("B").address(), n.get("E").address(), i.address()));
            assertThat(sent).extracting(names(n)::get).containsExactlyInAnyOrder("C", "D", "F", "G", "H");
        }
    }
}
