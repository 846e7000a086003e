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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Builds benchmark graphs once and caches them on disk (jmh/target/bench-graphs), because
 * signing a million chained commands takes a minute and reopening a stored graph does not
 * verify signatures again.
 */
final class BenchGraphs {
    private static final Path CACHE = Path.of(System.getProperty("bench.graphs", "target/bench-graphs"));
    private static final String ID_FILE = "graph.id";

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
     * commands, so the index has many segments as real teams' graphs do. Built in a scratch
     * directory that becomes the cache entry only once complete, so an interrupted build is
     * started over rather than left behind.
     */
    static Graph open(int size) throws Exception {
        Path dir = CACHE.resolve(Integer.toString(size));
        if (!Files.exists(dir.resolve(ID_FILE))) {
            build(size, dir);
        }
        StorageProvider storage = new FileStorageProvider(dir);
        return Graph.open(storage.open(GraphId.fromHex(Files.readString(dir.resolve(ID_FILE)))), new TeamMembersPolicy());
    }

    private static void build(int size, Path dir) throws Exception {
        Path scratch = CACHE.resolve(size + ".building");
        deleteTree(scratch);
        deleteTree(dir);
        long start = System.nanoTime();
        Random rnd = new Random(size);
        DeviceKey alice = DeviceKey.generate();
        DeviceKey bob = DeviceKey.generate();
        Command init = TeamMembersPolicy.createTeam(alice, List.of(bob.publicKey()));
        try (Graph graph = Graph.open(new FileStorageProvider(scratch).open(GraphId.of(init.id())), new TeamMembersPolicy())) {
            graph.addCommands(List.of(init));
            while (graph.size() < size) {
                Address head = graph.heads().getFirst();
                List<Command> batch = new ArrayList<>(chain(alice, head, 95, 100, rnd));
                Address aliceTip = batch.getLast().address();
                batch.addAll(chain(bob, head, 4, 100, rnd));
                // Merged at the end of the batch, as an eagerly merging peer sends it: the graph
                // keeps one head, and the shape the cached graphs were built with.
                batch.add(Command.merge(aliceTip, batch.getLast().address()));
                graph.addCommands(batch);
            }
            Files.writeString(scratch.resolve(ID_FILE), graph.id().toHex());
        }
        Files.move(scratch, dir, StandardCopyOption.ATOMIC_MOVE);
        System.out.printf("%n[bench-graphs] built the %d-command graph in %.0f s%n", size, (System.nanoTime() - start) / 1e9);
    }

    /**
     * The address commands back from graph's head, walking through merges along the longer
     * branch: what a replica that lacks the newest commands holds as its head.
     */
    static Address behindHead(Graph graph, int commands) {
        Address at = graph.heads().getFirst();
        for (int i = 0; i < commands; i++) {
            at = graph.command(at.id()).orElseThrow().parent().addresses().stream()
                    .max(Comparator.comparingLong(Address::maxCut)).orElseThrow();
        }
        return at;
    }

    /** Deletes root and everything under it, if it exists. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
