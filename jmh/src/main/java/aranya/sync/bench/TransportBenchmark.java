package aranya.sync.bench;

import aranya.sync.SyncException;
import aranya.sync.graph.Command;
import aranya.sync.graph.DeviceKey;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.storage.FileStorageProvider;
import aranya.sync.graph.storage.InMemoryStorageProvider;
import aranya.sync.protocol.MessageStream;
import aranya.sync.protocol.HelloPublisher;
import aranya.sync.protocol.PeerCache;
import aranya.sync.protocol.SyncSession;
import aranya.sync.protocol.SyncSummary;
import aranya.sync.quic.NodeIdentity;
import aranya.sync.quic.SyncConnector;
import aranya.sync.quic.SyncListener;
import aranya.sync.quic.TransportConfig;
import aranya.sync.wire.Limits;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sync over real kwik QUIC on loopback, each figure beside its reference from the same run:
 * <ul>
 *   <li>{@code bulkFrames} (bytes/s: 64 KiB frames on one stream, the transport's ceiling)
 *       against {@code pullCommands} (a fresh graph pulling 100,000 commands in one session);</li>
 *   <li>{@code bidirectionalConvergence} (one bidirectional session, 100 new commands each
 *       side) against {@code twoUnidirectionalSyncs} (two sessions on fresh connections);</li>
 *   <li>{@code inSyncCheck} (a session with nothing to send, pooled connection) against
 *       {@code echo100Bytes} (100-byte request/response on a new stream, same connection).</li>
 * </ul>
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "-Dtech.kwik.core.no-security-warnings=true"})
@Warmup(iterations = 3)
@Measurement(iterations = 5)
public class TransportBenchmark {
    static final int PULL = 100_000;
    static final int BULK_FRAMES = 512;
    static final int FRAME = 64 * 1024;
    static final byte[] SECRET = new byte[32];

    /** A sync server on loopback serving whatever graphs are put in {@link #graphs}. */
    static final class SyncServer implements AutoCloseable {
        final Map<GraphId, Graph> graphs = new ConcurrentHashMap<>();
        final SyncListener listener;

        SyncServer(TransportConfig config) throws Exception {
            PeerCache cache = new PeerCache();
            HelloPublisher hellos = new HelloPublisher(1, config.idleTimeout().dividedBy(2));
            listener = SyncListener.start(new InetSocketAddress("127.0.0.1", 0), NodeIdentity.generate(),
                    team -> Optional.of(SECRET.clone()), (stream, connection) -> {
                        try {
                            new SyncSession(stream, cache, config.maxMessageSize())
                                    .serve(team -> Optional.ofNullable(graphs.get(team)), connection::isAuthenticated, hellos);
                        } catch (SyncException e) {
                            // SyncSession has logged it, and the benchmark's own check fails the run
                        }
                    }, config);
        }

        int port() {
            return listener.localAddress().getPort();
        }

        @Override
        public void close() {
            listener.close();
        }
    }

    /** An echo/sink server, two sync servers and a pooled connector. */
    @State(Scope.Benchmark)
    public static class Network {
        /** -Dbench.kickMs=N tries another kick interval than the transport's default. */
        final TransportConfig config = Integer.getInteger("bench.kickMs") == null ? TransportConfig.builder().build()
                : TransportConfig.builder().kickInterval(java.time.Duration.ofMillis(Integer.getInteger("bench.kickMs"))).build();
        SyncListener echo;
        SyncServer left;
        SyncServer right;
        SyncConnector connector;
        final GraphId bulkTeam = GraphId.of(new byte[32]);

        @Setup(Level.Trial)
        public void start() throws Exception {
            echo = SyncListener.start(new InetSocketAddress("127.0.0.1", 0), NodeIdentity.generate(),
                    team -> Optional.of(SECRET.clone()), (stream, connection) -> {
                        try {
                            byte[] first = stream.receive().orElseThrow();
                            stream.send(first.length == 1 ? new byte[] {1} : first); // ack a bulk upload, echo the rest
                            while (stream.receive().isPresent()) {
                                // sink the upload
                            }
                            stream.finish();
                        } catch (Exception e) {
                            stream.close();
                        }
                    }, config);
            left = new SyncServer(config);
            right = new SyncServer(config);
            connector = new SyncConnector(config);
        }

        MessageStream openEcho() throws Exception {
            return connector.openStream("127.0.0.1", echo.localAddress().getPort(), bulkTeam, SECRET);
        }

        @TearDown(Level.Trial)
        public void stop() {
            connector.close();
            echo.close();
            left.close();
            right.close();
        }
    }

    /** A fresh in-memory graph of the same team as source, holding nothing yet. */
    static Graph emptyReplica(GraphId team) throws Exception {
        return Graph.open(new InMemoryStorageProvider().open(team), new TeamMembersPolicy());
    }

    /** A 100,000-command graph served by the left server. */
    @State(Scope.Benchmark)
    public static class PullState {
        Graph source;

        @Setup(Level.Trial)
        public void open(Network n) throws Exception {
            source = BenchGraphs.open(PULL);
            n.left.graphs.put(source.id(), source);
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            source.close();
        }
    }

    /**
     * What the pulls moved, reported beside their time: message bytes (sent and received,
     * without framing) and commands received. Their ratio is the mean bytes per command on the
     * wire, which turns the transport's bytes/s into a ceiling in commands/s.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class PullVolume {
        public long pullBytes;
        public long pullCommands;
    }

    /**
     * Time per command of a fresh replica pulling the whole graph in one session: transfer,
     * verification and durable commit (the replica is a file store, fsync'd per batch).
     */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @OperationsPerInvocation(PULL)
    public SyncSummary pullCommands(Network n, PullState s, PullVolume volume) throws Exception {
        Path dir = Files.createTempDirectory("bench-pull");
        try (Graph replica = Graph.open(new FileStorageProvider(dir).open(s.source.id()), new TeamMembersPolicy());
                MessageStream stream = n.connector.openStream("127.0.0.1", n.left.port(), s.source.id(), SECRET)) {
            SyncSummary summary = new SyncSession(stream, new PeerCache(), n.config.maxMessageSize()).requestSync(replica, false);
            if (summary.remaining() || replica.size() != s.source.size()) {
                throw new IllegalStateException("pulled " + replica.size() + " of " + s.source.size() + " commands");
            }
            volume.pullBytes += summary.bytes();
            volume.pullCommands += summary.received();
            return summary;
        } finally {
            BenchGraphs.deleteTree(dir);
        }
    }

    /** Two replicas of a team, each with 100 commands the other lacks. */
    @State(Scope.Thread)
    public static class DivergedState {
        final DeviceKey author = DeviceKey.generate();
        Graph mine;
        Graph theirs;

        @Setup(Level.Invocation)
        public void diverge(Network n) throws Exception {
            Command init = TeamMembersPolicy.createTeam(author, List.of());
            mine = emptyReplica(GraphId.of(init.id()));
            theirs = emptyReplica(GraphId.of(init.id()));
            mine.addCommands(List.of(init));
            theirs.addCommands(List.of(init));
            Random rnd = new Random();
            mine.addCommands(BenchGraphs.chain(author, init.address(), 100, 100, rnd));
            theirs.addCommands(BenchGraphs.chain(author, init.address(), 100, 100, rnd));
            n.left.graphs.put(mine.id(), mine);
            n.right.graphs.put(theirs.id(), theirs);
        }

        @TearDown(Level.Invocation)
        public void check(Network n) throws Exception {
            if (!mine.heads().equals(theirs.heads())) {
                throw new IllegalStateException("replicas did not converge");
            }
            n.left.graphs.remove(mine.id());
            n.right.graphs.remove(theirs.id());
        }
    }

    /** Both replicas converge through one bidirectional session on a fresh connection. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 20)
    @Measurement(iterations = 50)
    public SyncSummary bidirectionalConvergence(Network n, DivergedState s) throws Exception {
        return syncOnFreshConnection(n, n.right, s.mine, true);
    }

    /** One session from replica to server on a connection of its own (handshake and team auth included). */
    static SyncSummary syncOnFreshConnection(Network n, SyncServer server, Graph replica, boolean bidirectional) throws Exception {
        try (SyncConnector fresh = new SyncConnector(n.config);
                MessageStream stream = fresh.openStream("127.0.0.1", server.port(), replica.id(), SECRET)) {
            return new SyncSession(stream, new PeerCache(), n.config.maxMessageSize()).requestSync(replica, bidirectional);
        }
    }

    /** Both replicas converge through two unidirectional sessions, each on a fresh connection. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 20)
    @Measurement(iterations = 50)
    public SyncSummary twoUnidirectionalSyncs(Network n, DivergedState s) throws Exception {
        syncOnFreshConnection(n, n.right, s.mine, false);
        return syncOnFreshConnection(n, n.left, s.theirs, false);
    }

    /** Two identical replicas, one served by the left server. */
    @State(Scope.Benchmark)
    public static class InSyncState {
        Graph mine;
        Graph theirs;

        @Setup(Level.Trial)
        public void build(Network n) throws Exception {
            DeviceKey author = DeviceKey.generate();
            Command init = TeamMembersPolicy.createTeam(author, List.of());
            List<Command> history = new ArrayList<>(List.of(init));
            history.addAll(BenchGraphs.chain(author, init.address(), 1000, 100, new Random(9)));
            mine = emptyReplica(GraphId.of(init.id()));
            theirs = emptyReplica(GraphId.of(init.id()));
            mine.addCommands(history);
            theirs.addCommands(history);
            n.left.graphs.put(theirs.id(), theirs);
        }
    }

    /** A sync that finds nothing to do, on the pooled connection: the periodic check's cost. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public SyncSummary inSyncCheck(Network n, InSyncState s) throws Exception {
        try (MessageStream stream = n.connector.openStream("127.0.0.1", n.left.port(), s.mine.id(), SECRET)) {
            SyncSummary summary = new SyncSession(stream, new PeerCache(), n.config.maxMessageSize()).requestSync(s.mine, false);
            if (summary.received() != 0) {
                throw new IllegalStateException("not in sync");
            }
            return summary;
        }
    }

    /** Bytes/s of 64 KiB frames uploaded on one stream: what the transport can carry. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BULK_FRAMES * FRAME)
    public void bulkFrames(Network n) throws Exception {
        try (MessageStream s = n.openEcho()) {
            s.send(new byte[] {'B'});
            s.receive();
            byte[] frame = new byte[FRAME];
            for (int i = 0; i < BULK_FRAMES; i++) {
                s.send(frame);
            }
            s.finish();
            s.receive();
        }
    }

    /** Echo of 100 bytes on a new stream of the pooled, authenticated connection. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Optional<byte[]> echo100Bytes(Network n) throws Exception {
        byte[] message = new byte[100];
        try (MessageStream s = n.openEcho()) {
            s.send(message);
            s.finish();
            Optional<byte[]> reply = s.receive();
            s.receive();
            return reply;
        }
    }
}
