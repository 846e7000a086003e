package aranya.sync.graph;

import aranya.sync.SyncException;
import aranya.sync.graph.storage.InMemoryStorageProvider;
import java.util.List;

/** Test helper: one graph replica of a team on its own in-memory store. */
final class Replica implements AutoCloseable {
    final StorageProvider storage;
    final Graph graph;

    private Replica(StorageProvider storage, Graph graph) {
        this.storage = storage;
        this.graph = graph;
    }

    /** A new team founded by founder, with the other keys as founding members. */
    static Replica found(DeviceKey founder, DeviceKey... members) throws Exception {
        Command init = TeamMembersPolicy.createTeam(founder,
                java.util.Arrays.stream(members).map(DeviceKey::publicKey).toList());
        Replica r = empty(GraphId.of(init.id()));
        r.graph.addCommands(List.of(init));
        return r;
    }

    /** An empty replica of graph, ready to receive its init command. */
    static Replica empty(GraphId graph) throws Exception {
        StorageProvider storage = new InMemoryStorageProvider();
        return new Replica(storage, Graph.open(storage.open(graph), new TeamMembersPolicy()));
    }

    /** A new replica of source's graph holding what source holds now. */
    static Replica copyOf(Replica source) throws Exception {
        Replica r = empty(source.graph.id());
        r.pullFrom(source);
        return r;
    }

    /** Reopens this replica's graph from its store, as after a restart. */
    Graph reopen() throws Exception {
        return Graph.open(storage.open(graph.id()), new TeamMembersPolicy());
    }

    Command append(DeviceKey author, String kind) throws SyncException {
        return graph.append(author, Priority.basic(10), kind, Bytes.of(kind.getBytes()));
    }

    /** One pull: what this replica lacks of source's graph, as a responder would send it. */
    AddResult pullFrom(Replica source) throws SyncException {
        List<Command> missing = source.graph.missing(graph.sample(List.of(), 100));
        return graph.addCommands(missing);
    }

    @Override
    public void close() throws Exception {
        graph.close();
    }
}
