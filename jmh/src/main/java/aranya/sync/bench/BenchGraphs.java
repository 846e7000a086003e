package aranya.sync.bench;

import aranya.sync.graph.Address;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.DeviceKey;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.Priority;
import aranya.sync.graph.StorageProvider;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.storage.FileStorageProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Builds benchmark graphs once and caches them on disk (jmh/target/bench-graphs), because
 * signing a million chained commands takes a minute and reopening a stored graph does not
 * verify signatures again.
 */
final class BenchGraphs {
    private static final Path CACHE = Path.of(System.getProperty("bench.graphs", "target/bench-graphs"));

    private BenchGraphs() {}

    /** A chain of signed commands on top of parent, each with a payload of payloadBytes. */
    static List<Command> chain(DeviceKey author, Address parent, int count, int payloadBytes, Random rnd) {
        List<Command> out = new ArrayList<>(count);
        Address p = parent;
        for (int i = 0; i < count; i++) {
            byte[] payload = new byte[payloadBytes];
            rnd.nextBytes(payload);
            Command c = Command.action(author, p, Priority.basic(1), "bench", Bytes.of(payload));
            out.add(c);
            p = c.address();
        }
        return out;
    }

    /**
     * A graph of about size commands: a chain with a two-writer fork and merge every 100
     * commands, so the index has many segments as real teams' graphs do.
     */
    static Graph open(int size) throws Exception {
        Path dir = CACHE.resolve(Integer.toString(size));
        Path idFile = dir.resolve("graph.id");
        StorageProvider storage = new FileStorageProvider(dir);
        if (Files.exists(idFile)) {
            return Graph.open(storage.open(GraphId.fromHex(Files.readString(idFile))), new TeamMembersPolicy());
        }
        Random rnd = new Random(size);
        DeviceKey alice = DeviceKey.generate();
        DeviceKey bob = DeviceKey.generate();
        Command init = TeamMembersPolicy.createTeam(alice, List.of(bob.publicKey()));
        Graph graph = Graph.open(storage.open(GraphId.of(init.id())), new TeamMembersPolicy());
        graph.addCommands(List.of(init));
        while (graph.size() < size) {
            Address head = graph.head().orElseThrow();
            List<Command> batch = new ArrayList<>(chain(alice, head, 95, 100, rnd));
            batch.addAll(chain(bob, head, 4, 100, rnd));
            graph.addCommands(batch); // the two branches are merged at the end of the batch
        }
        Files.writeString(idFile, graph.id().toHex());
        return graph;
    }
}
