package aranya.sync.bench;

import aranya.sync.graph.Address;
import aranya.sync.graph.Command;
import aranya.sync.graph.DeviceKey;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.storage.InMemoryStorageProvider;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** Graph engine costs: ingest with signature verification, and the responder's query. */
@Fork(value = 2, jvmArgsAppend = {"-Xmx8g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class GraphBenchmark {
    static final int INGEST_BATCH = 1000;

    /** A batch of 1,000 signed commands (100-byte payloads) for a fresh replica. */
    @State(Scope.Benchmark)
    public static class IngestState {
        Command init;
        List<Command> batch;

        @Setup(Level.Trial)
        public void build() {
            DeviceKey author = DeviceKey.generate();
            init = TeamMembersPolicy.createTeam(author, List.of());
            batch = BenchGraphs.chain(author, init.address(), INGEST_BATCH, 100, new Random(1));
        }
    }

    /** Commands/s into an in-memory graph: parse, verify id and Ed25519 signature, policy, index. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(INGEST_BATCH)
    public Object ingestVerified(IngestState s) throws Exception {
        InMemoryStorageProvider storage = new InMemoryStorageProvider();
        try (Graph g = Graph.open(storage.open(GraphId.of(s.init.id())), new TeamMembersPolicy())) {
            g.addCommands(List.of(s.init));
            return g.addCommands(s.batch);
        }
    }

    /** A stored graph and the address of a replica that lacks its last 10 commands. */
    @State(Scope.Benchmark)
    public static class QueryState {
        @Param({"1000", "100000", "1000000"})
        int size;

        Graph graph;
        List<Address> known;

        @Setup(Level.Trial)
        public void open() throws Exception {
            graph = BenchGraphs.open(size);
            known = List.of(BenchGraphs.behindHead(graph, 10));
            int missing = graph.missing(known).size();
            if (missing < 10 || missing > 20) {
                throw new IllegalStateException("expected a difference of about 10 commands, got " + missing);
            }
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            graph.close();
        }
    }

    /** The responder's core query for a 10-command difference: must not grow with the graph. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public List<Command> missingTenCommands(QueryState s) {
        return s.graph.missing(s.known);
    }
}
