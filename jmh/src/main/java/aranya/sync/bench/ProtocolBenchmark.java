package aranya.sync.bench;

import aranya.sync.graph.Address;
import aranya.sync.graph.Command;
import aranya.sync.graph.DeviceKey;
import aranya.sync.graph.Graph;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.storage.InMemoryStorageProvider;
import aranya.sync.protocol.HelloPublisher;
import aranya.sync.protocol.InMemoryMessageStream;
import aranya.sync.protocol.PeerCache;
import aranya.sync.protocol.SyncSession;
import aranya.sync.protocol.SyncSummary;
import aranya.sync.wire.Limits;
import aranya.sync.wire.MessageCodec;
import aranya.sync.wire.SessionId;
import aranya.sync.wire.SyncRequestMessage;
import aranya.sync.wire.SyncResponder;
import aranya.sync.wire.SyncResponseMessage;
import aranya.sync.wire.SyncType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.FutureTask;
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

/**
 * Protocol costs without a network: the codec on a full response (100 commands, 100-byte
 * payloads), the responder's work for a small difference on graphs of 1k to 1M commands, and
 * a fresh peer catching up on 100,000 commands over in-memory streams (responder, codec,
 * verification, commit).
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
public class ProtocolBenchmark {
    static final int CATCH_UP = 100_000;

    /** One full response message and its encoding. */
    @State(Scope.Benchmark)
    public static class CodecState {
        SyncResponseMessage response;
        byte[] encoded;

        @Setup
        public void build() {
            DeviceKey author = DeviceKey.generate();
            Command init = TeamMembersPolicy.createTeam(author, List.of());
            response = new SyncResponseMessage.SyncResponse(new SessionId(1, 2), 0,
                    BenchGraphs.chain(author, init.address(), Limits.COMMAND_RESPONSE_MAX, 100, new Random(3)));
            encoded = MessageCodec.encode(response);
        }
    }

    /** Encodes of a full response per second; multiply by the encoded size for bytes/s. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 3, time = 2)
    @Measurement(iterations = 5, time = 2)
    public byte[] encodeResponse(CodecState s) {
        return MessageCodec.encode(s.response);
    }

    /** Decodes of a full response per second (bodies sliced, max cuts checked). */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 3, time = 2)
    @Measurement(iterations = 5, time = 2)
    public SyncResponseMessage decodeResponse(CodecState s) throws Exception {
        return MessageCodec.decodeSyncResponse(s.encoded, 0, s.encoded.length);
    }

    /**
     * A stored graph and the first message of a replica that lacks its newest 10 commands
     * (about 10 to 20 with merges). The replica's sample is approximated by the graph's own
     * sample, kept to what the replica holds, headed by the replica's head: about as many
     * addresses as a real request carries.
     */
    @State(Scope.Benchmark)
    public static class RespondState {
        @Param({"1000", "100000", "1000000"})
        int size;

        Graph graph;
        byte[] poll;

        @Setup(Level.Trial)
        public void open() throws Exception {
            graph = BenchGraphs.open(size);
            Address replicaHead = BenchGraphs.behindHead(graph, 10);
            List<Address> sample = new ArrayList<>(List.of(replicaHead));
            for (Address a : graph.sample(List.of(), Limits.COMMAND_SAMPLE_MAX)) {
                if (sample.size() < Limits.COMMAND_SAMPLE_MAX && !a.equals(replicaHead) && graph.isAncestorOrEqual(a, replicaHead)) {
                    sample.add(a);
                }
            }
            poll = MessageCodec.encode(new SyncType.Poll(
                    new SyncRequestMessage.SyncRequest(new SessionId(5, 6), graph.id(), 0, sample), false));
            int missing = respond(this).size() - 1; // minus the SyncEnd
            if (missing < 1) {
                throw new IllegalStateException("the replica lacks nothing");
            }
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            graph.close();
        }
    }

    /**
     * The responder's whole job for a 10-command difference: decode the request, find what
     * the replica lacks, encode the responses. Must barely grow with the graph.
     */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 2)
    @Measurement(iterations = 5, time = 2)
    public List<byte[]> respondTenCommands(RespondState s) throws Exception {
        return respond(s);
    }

    private static List<byte[]> respond(RespondState s) throws Exception {
        SyncType.Poll poll = (SyncType.Poll) MessageCodec.decodeSyncType(s.poll, 0, s.poll.length);
        SyncResponder responder = new SyncResponder(s.graph, (SyncRequestMessage.SyncRequest) poll.request(),
                Limits.MAX_SYNC_MESSAGE_SIZE);
        List<byte[]> responses = new ArrayList<>();
        while (!responder.ended()) {
            responses.add(MessageCodec.encode(responder.next()));
        }
        return responses;
    }

    /** A server graph of 100,000 commands (cached on disk, see BenchGraphs). */
    @State(Scope.Benchmark)
    public static class CatchUpState {
        Graph server;
        Command init;

        @Setup(Level.Trial)
        public void open() throws Exception {
            server = BenchGraphs.open(CATCH_UP);
            init = server.weave().get(0);
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            server.close();
        }
    }

    /** Seconds per command for a fresh peer pulling the whole graph in one session. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @OperationsPerInvocation(CATCH_UP)
    @Warmup(iterations = 2)
    @Measurement(iterations = 5)
    public SyncSummary catchUpInMemory(CatchUpState s) throws Exception {
        InMemoryMessageStream[] pair = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, Duration.ofMinutes(5));
        FutureTask<SyncSummary> server = new FutureTask<>(() -> new SyncSession(pair[1], new PeerCache(), Limits.MAX_SYNC_MESSAGE_SIZE)
                .serve(id -> Optional.of(s.server), id -> true, new HelloPublisher(1, Duration.ofSeconds(10))));
        Thread.ofVirtual().start(server);
        try (Graph client = Graph.open(new InMemoryStorageProvider().open(s.server.id()), new TeamMembersPolicy())) {
            SyncSummary summary = new SyncSession(pair[0], new PeerCache(), Limits.MAX_SYNC_MESSAGE_SIZE).requestSync(client, false);
            server.get(); // the server's failure, if any, fails the run
            if (client.size() != s.server.size()) {
                throw new IllegalStateException("caught up " + client.size() + " of " + s.server.size());
            }
            return summary;
        }
    }
}
