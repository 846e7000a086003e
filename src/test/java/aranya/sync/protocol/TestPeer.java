package aranya.sync.protocol;

import aranya.sync.SyncException;
import aranya.sync.graph.Address;
import aranya.sync.graph.Command;
import aranya.sync.graph.DeviceKey;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.TestCommands;
import aranya.sync.graph.storage.InMemoryStorageProvider;
import aranya.sync.wire.Limits;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

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

    /**
     * Serves one session from this peer's graph on a virtual thread; the future completes with
     * the server's summary, or fails with the SyncException the server ended with.
     */
    CompletableFuture<SyncSummary> serve(MessageStream stream, Predicate<GraphId> authorized) {
        return serve(stream, authorized, HELLOS);
    }

    /** As {@link #serve(MessageStream, Predicate)}, serving hello subscriptions through hellos. */
    CompletableFuture<SyncSummary> serve(MessageStream stream, Predicate<GraphId> authorized, HelloPublisher hellos) {
        CompletableFuture<SyncSummary> served = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                served.complete(new SyncSession(stream, cache, Limits.MAX_SYNC_MESSAGE_SIZE)
                        .serve(id -> id.equals(graph.id()) ? Optional.of(graph) : Optional.empty(), authorized, hellos));
            } catch (SyncException e) {
                served.completeExceptionally(e);
            }
        });
        return served;
    }

    /**
     * Appends count commands with payloads of payloadBytes, as a node does (the first one
     * merges the heads first); returns them, merges left out.
     */
    List<Command> append(int count, int payloadBytes) throws SyncException {
        byte[] payload = new byte[Math.max(payloadBytes, 8)];
        java.util.concurrent.ThreadLocalRandom.current().nextBytes(payload); // distinct commands on every peer
        Command first = graph.append(MEMBER, aranya.sync.graph.Priority.basic(5), "t", aranya.sync.graph.Bytes.of(payload));
        List<Command> batch = new java.util.ArrayList<>(List.of(first));
        batch.addAll(chain(first.address(), count - 1, payloadBytes));
        graph.addCommands(batch.subList(1, batch.size()));
        return batch;
    }

    /** A chain signed by MEMBER on top of parent, not added anywhere. */
    static List<Command> chain(Address parent, int count, int payloadBytes) {
        return TestCommands.chain(MEMBER, parent, count, payloadBytes);
    }

    @Override
    public void close() throws SyncException {
        graph.close();
    }
}
