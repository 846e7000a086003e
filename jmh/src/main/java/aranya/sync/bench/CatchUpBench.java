package aranya.sync.bench;

import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.storage.FileStorageProvider;
import aranya.sync.protocol.MessageStream;
import aranya.sync.protocol.PeerCache;
import aranya.sync.protocol.SyncSession;
import aranya.sync.protocol.SyncSummary;
import aranya.sync.quic.SyncConnector;
import aranya.sync.quic.TransportConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * End-to-end catch-up over real kwik QUIC on loopback with the server and the reader in JVMs of
 * their own, so the reader's peak RSS is that of a fresh process holding only the replica it
 * pulls into (the JMH pull runs both peers in one JVM). Uses the same API as
 * {@link TransportBenchmark}, so the same source measures an older build too.
 * <pre>
 *   serve N           opens (building it once) the N-command {@link BenchGraphs} graph, serves it,
 *                     prints "serving PORT TEAM" and runs until its standard input closes
 *   pull PORT TEAM    a fresh file-store replica pulls everything in one session; prints the
 *                     pull's seconds, the commands received, and the process's peak RSS (VmHWM)
 * </pre>
 */
public final class CatchUpBench {
    private CatchUpBench() {}

    /**
     * Runs one of the modes above.
     *
     * @param args the mode and its arguments
     * @throws Exception if serving or pulling fails
     */
    public static void main(String[] args) throws Exception {
        switch (args.length > 0 ? args[0] : "") {
            case "serve" -> serve(Integer.parseInt(args[1]));
            case "pull" -> pull(Integer.parseInt(args[1]), GraphId.fromHex(args[2]));
            default -> {
                System.err.println("usage: CatchUpBench serve N | pull PORT TEAM");
                System.exit(2);
            }
        }
    }

    private static void serve(int size) throws Exception {
        TransportConfig config = TransportConfig.builder().build();
        try (Graph source = BenchGraphs.open(size); TransportBenchmark.SyncServer server = new TransportBenchmark.SyncServer(config)) {
            server.graphs.put(source.id(), source);
            System.out.println("serving " + server.port() + " " + source.id().toHex());
            System.out.flush();
            // Serves until whoever started it closes our standard input.
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).transferTo(java.io.Writer.nullWriter());
        }
    }

    private static void pull(int port, GraphId team) throws Exception {
        TransportConfig config = TransportConfig.builder().build();
        Path dir = Files.createTempDirectory("bench-catchup");
        try (SyncConnector connector = new SyncConnector(config);
                Graph replica = Graph.open(new FileStorageProvider(dir).open(team), new TeamMembersPolicy())) {
            long start = System.nanoTime();
            SyncSummary summary;
            try (MessageStream stream = connector.openStream("127.0.0.1", port, team, TransportBenchmark.SECRET)) {
                summary = new SyncSession(stream, new PeerCache(), config.maxMessageSize()).requestSync(replica, false);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (summary.remaining()) {
                throw new IllegalStateException("the pull left commands behind after " + replica.size());
            }
            System.out.printf("pulled %d commands in %.2f s (%.0f /s); peak RSS %s%n",
                    summary.received(), seconds, summary.received() / seconds, peakRss());
        } finally {
            BenchGraphs.deleteTree(dir);
        }
    }

    /** VmHWM from /proc/self/status: the most resident memory this process has had. */
    private static String peakRss() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("VmHWM:")).map(l -> l.substring(6).strip()).findFirst().orElse("unknown");
    }
}
