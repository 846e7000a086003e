package aranya.sync.graph.storage;

import aranya.sync.graph.Address;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.DeviceKey;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.Priority;
import aranya.sync.graph.TeamMembersPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Run as a separate JVM by {@link CrashRecoveryTest}: ingests batches of commands into a
 * file store forever, printing "ACK &lt;last command id&gt;" after each batch is stored, until it
 * is killed with SIGKILL. It prints "OPENING" before it opens an existing graph and "READY"
 * once it has. After about one batch in three it closes the graph (which saves an index
 * checkpoint) and opens it again (the next batch then marks the checkpoint dirty, another
 * save), so that kills land in checkpoints too.
 */
public final class CrashIngestChild {
    static final int BATCH = 200;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Path keyFile = dir.resolve("founder.key");
        Path graphFile = dir.resolve("graph.id");
        FileStorageProvider storage = new FileStorageProvider(dir.resolve("graphs"));
        DeviceKey founder;
        Graph graph;
        if (!Files.exists(graphFile)) {
            founder = DeviceKey.generate();
            Command init = TeamMembersPolicy.createTeam(founder, List.of());
            graph = Graph.open(storage.open(GraphId.of(init.id())), new TeamMembersPolicy());
            graph.addCommands(List.of(init));
            writeAtomically(keyFile, founder.encoded());
            writeAtomically(graphFile, graph.id().toHex().getBytes());
        } else {
            founder = DeviceKey.fromEncoded(Files.readAllBytes(keyFile));
            System.out.println("OPENING"); // the open replays what the index checkpoint lacks
            System.out.flush();
            graph = Graph.open(storage.open(GraphId.fromHex(Files.readString(graphFile))), new TeamMembersPolicy());
        }
        System.out.println("READY " + graph.size());
        System.out.flush();
        java.util.Random rnd = new java.util.Random();
        for (long n = 0; ; n++) {
            Address parent = graph.heads().getFirst();
            List<Command> batch = new ArrayList<>(BATCH);
            for (int i = 0; i < BATCH; i++) {
                Command c = Command.action(founder, parent, Priority.basic(1), "ingest", Bytes.of(HexFormat.of().parseHex("%016x".formatted(n * BATCH + i))));
                batch.add(c);
                parent = c.address();
            }
            graph.addCommands(batch);
            System.out.println("ACK " + batch.get(BATCH - 1).id().toHex());
            System.out.flush();
            if (rnd.nextInt(3) == 0) {
                GraphId id = graph.id();
                graph.close();
                graph = Graph.open(storage.open(id), new TeamMembersPolicy());
            }
        }
    }

    private static void writeAtomically(Path file, byte[] bytes) throws Exception {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    }
}
