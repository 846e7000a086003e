package aranya.sync.protocol;

import aranya.sync.SyncException;
import aranya.sync.graph.Address;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.DeviceKey;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.Priority;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.storage.InMemoryStorageProvider;
import java.util.ArrayList;
import java.util.List;

/** Test helper: a peer with one in-memory graph, its key and its peer cache. */
final class TestPeer implements AutoCloseable {
    static final DeviceKey FOUNDER = DeviceKey.generate();
    static final DeviceKey MEMBER = DeviceKey.generate();
    /** Hello subscriptions for servers in tests that do not subscribe. */
    static final HelloPublisher HELLOS = new HelloPublisher(1, java.time.Duration.ofSeconds(10));

    final Graph graph;
    final PeerCache cache = new PeerCache();

    private TestPeer(Graph graph) {
        this.graph = graph;
    }

    static Command newTeam() {
        return TeamMembersPolicy.createTeam(FOUNDER, List.of(MEMBER.publicKey()));
    }

    static TestPeer of(Command init) throws SyncException {
        TestPeer p = empty(GraphId.of(init.id()));
        p.graph.addCommands(List.of(init));
        return p;
    }

    static TestPeer empty(GraphId graph) throws SyncException {
        return new TestPeer(Graph.open(new InMemoryStorageProvider().open(graph), new TeamMembersPolicy()));
    }

    /** Appends count commands with payloads of payloadBytes; returns them. */
    List<Command> append(int count, int payloadBytes) throws SyncException {
        List<Command> batch = chain(graph.head().orElseThrow(), count, payloadBytes);
        graph.addCommands(batch);
        return batch;
    }

    /** A signed chain on top of parent, not added anywhere. */
    static List<Command> chain(Address parent, int count, int payloadBytes) {
        List<Command> out = new ArrayList<>(count);
        Address p = parent;
        for (int i = 0; i < count; i++) {
            byte[] payload = new byte[Math.max(payloadBytes, 8)];
            java.util.concurrent.ThreadLocalRandom.current().nextBytes(payload); // distinct commands on every peer
            Command c = Command.action(MEMBER, p, Priority.basic(5), "t", Bytes.of(payload));
            out.add(c);
            p = c.address();
        }
        return out;
    }

    @Override
    public void close() throws SyncException {
        graph.close();
    }
}
