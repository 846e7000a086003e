package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import aranya.sync.ChildJvm;
import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Address;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.CommandId;
import aranya.sync.graph.DeviceKey;
import aranya.sync.graph.Graph;
import aranya.sync.graph.Priority;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.storage.FileStorageProvider;
import aranya.sync.protocol.MessageStream;
import aranya.sync.protocol.PeerCache;
import aranya.sync.protocol.SyncSession;
import aranya.sync.protocol.SyncSummary;
import aranya.sync.quic.SyncConnector;
import aranya.sync.quic.TransportConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL of a node process in the middle of a sync, again and again: a server killed while
 * it serves (the client must fail, not hang, and keep only whole verified batches), and a node
 * killed while it ingests what it pulls (every batch it acknowledged must survive, the store
 * must open consistent, and the node must sync on to convergence). Iterations per test:
 * {@code -Daranya.crash.iterations=N} (default 4).
 */
class NodeCrashTest {
    private static final int ITERATIONS = Integer.getInteger("aranya.crash.iterations", 4);
    /** Two of SyncSession's commit batches (2048 commands each, fewer if they pass 8 MiB). */
    private static final int COMMANDS_PER_ITERATION = 4096;
    /** Enough that every iteration's pull is cut off with batches still to come. */
    private static final int COMMANDS = COMMANDS_PER_ITERATION * (ITERATIONS + 3);
    /** A small window, so a killed server can be only this far ahead of what the client has read. */
    private static final long CLIENT_WINDOW = 256 * 1024;
    private static final Duration LINE_TIMEOUT = Duration.ofSeconds(60);
    /**
     * The client's bound on a session whose server gets killed: nothing but the deadline ends a
     * wait on a peer that has gone silent, so every iteration lasts this long; the kill comes
     * within about a second, up to 3.1 s seen on a machine loaded by other builds, hence 8 s.
     */
    private static final Duration KILLED_SESSION_DEADLINE = Duration.ofSeconds(8);

    @TempDir
    static Path dir;
    private static Path serverDir;
    private static TeamCredentials team;
    private static Set<CommandId> served;
    private static Address servedHead;

    private final long seed = Long.getLong("aranya.test.seed", System.nanoTime());
    private final Random random = new Random(seed);

    /** A server's data directory holding a team of {@link #COMMANDS} commands, built in large batches. */
    @BeforeAll
    static void aTeamWithManyCommands() throws Exception {
        serverDir = dir.resolve("server");
        try (SyncNode server = SyncNode.builder(serverDir).open()) {
            team = server.createTeam(List.of());
        }
        DeviceKey founder = DeviceKey.fromEncoded(Files.readAllBytes(serverDir.resolve("device.key")));
        try (Graph graph = openGraph(serverDir)) {
            Address parent = graph.heads().getFirst();
            while (graph.size() < COMMANDS) {
                List<Command> batch = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    Command c = Command.action(founder, parent, Priority.basic(1), "bulk", Bytes.of(new byte[200]));
                    batch.add(c);
                    parent = c.address();
                }
                graph.addCommands(batch);
            }
            served = new HashSet<>(graph.weave().stream().map(Command::id).toList());
            servedHead = graph.heads().getFirst();
        }
    }

    @Test
    void aServerKilledMidSyncLeavesItsClientWithATimeoutAndWholeBatchesOnly() throws Exception {
        TransportConfig config = TransportConfig.builder().streamReceiveWindow(CLIENT_WINDOW).build();
        Path clientDir = dir.resolve("client");
        List<String> iterations = new ArrayList<>();
        AtomicReference<Child> server = new AtomicReference<>(Child.start("serve", serverDir.toString()));
        try (SyncConnector connector = new SyncConnector(config); ExecutorService sessions = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < ITERATIONS; i++) {
                // 20 to 60 responses in (a batch is committed after 41): the server dies with thousands of
                // commands and its SyncEnd still to send, far more than its window let it send ahead.
                int killAfter = 20 + random.nextInt(41);
                Child serving = server.get();
                int sizeAfter;
                try (Graph client = openGraph(clientDir)) {
                    int port = serving.listening();
                    int before = client.size();
                    AtomicInteger committed = new AtomicInteger();
                    try (AutoCloseable counting = client.onCommitted(batch -> committed.addAndGet(batch.size()))) {
                        MessageStream stream = connector.openStream(Nodes.LOOPBACK.getHostString(), port, team.team(), team.secret(),
                                KILLED_SESSION_DEADLINE);
                        // The next server starts on the same directory as soon as this one is dead, while the client waits.
                        KillingStream killing = new KillingStream(stream, killAfter, () -> {
                            serving.kill();
                            server.set(Child.start("serve", serverDir.toString()));
                        });
                        Future<SyncSummary> sync = sessions.submit(() -> new SyncSession(killing, new PeerCache(), config.maxMessageSize())
                                .requestSync(client, false));
                        SyncException failure = failureOf(sync);
                        assertThat(killing.firedAfter()).as("the server was killed mid-sync (seed %d)", seed).isPresent();
                        assertThat(failure.error()).as("%s (seed %d)", failure, seed).isEqualTo(SyncError.TIMEOUT);
                        iterations.add("killed " + killing.firedAfter().orElseThrow().toMillis() + " ms and " + killAfter
                                + " responses in: " + before + " -> " + client.size());
                    }
                    assertThat(client.size()).as("only committed batches").isEqualTo(before + committed.get());
                    sizeAfter = client.size();
                }
                try (Graph reopened = openGraph(clientDir)) {
                    assertConsistent(reopened);
                    assertThat(reopened.size()).as("after reopening").isEqualTo(sizeAfter);
                }
            }
            try (Graph client = openGraph(clientDir)) {
                MessageStream stream = connector.openStream(Nodes.LOOPBACK.getHostString(), server.get().listening(), team.team(),
                        team.secret(), LINE_TIMEOUT);
                new SyncSession(stream, new PeerCache(), config.maxMessageSize()).requestSync(client, false);
                assertThat(client.heads()).containsExactly(servedHead);
                assertConsistent(client);
            }
        } finally {
            server.get().close();
        }
        System.out.println("server kills: " + iterations);
    }

    @Test
    void aNodeKilledMidPullKeepsEveryBatchItAcknowledgedAndSyncsOn() throws Exception {
        Path nodeDir = dir.resolve("puller");
        try (SyncNode node = SyncNode.builder(nodeDir).open()) {
            node.joinTeam(team);
        }
        List<CommandId> acknowledged = new ArrayList<>();
        List<String> iterations = new ArrayList<>();
        try (SyncNode server = SyncNode.builder(serverDir).listenAddress(Nodes.LOOPBACK).open()) {
            String port = Integer.toString(server.listenAddress().orElseThrow().getPort());
            for (int i = 0; i < ITERATIONS; i++) {
                long t0 = System.nanoTime();
                int ackedSize = 0;
                try (Child puller = Child.start("pull", nodeDir.toString(), port, team.team().toHex())) {
                    String line = puller.nextLine();
                    assertThat(line).as("iteration %d, before any batch", i).startsWith("ACK ");
                    puller.kill();
                    // Whatever it reported before SIGKILL landed counts as acknowledged too.
                    for (; line != null; line = puller.nextLine()) {
                        assertThat(line).as("killed mid-pull").startsWith("ACK ");
                        String[] ack = line.split(" ");
                        ackedSize = Integer.parseInt(ack[1]);
                        acknowledged.add(CommandId.fromHex(ack[2]));
                    }
                }
                try (Graph stored = openGraph(nodeDir)) {
                    assertConsistent(stored);
                    assertThat(stored.size()).as("iteration %d", i).isGreaterThanOrEqualTo(ackedSize).isLessThan(served.size());
                    for (CommandId id : acknowledged) {
                        assertThat(stored.contains(id)).as("acknowledged %s", id).isTrue();
                    }
                    iterations.add(stored.size() + " (acknowledged " + ackedSize + ") in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
                }
            }
            try (SyncNode node = SyncNode.builder(nodeDir).idleTimeout(LINE_TIMEOUT).open()) {
                node.syncNow(Nodes.at(server), team.team(), Optional.empty());
                assertThat(node.heads(team.team())).containsExactly(servedHead);
            }
        }
        System.out.println("puller kills, stored after each: " + iterations);
    }

    private static Graph openGraph(Path nodeDir) throws Exception {
        return Graph.open(new FileStorageProvider(nodeDir.resolve("graphs")).open(team.team()), new TeamMembersPolicy());
    }

    /** Every stored command is one the server holds, and the graph weaves whole. */
    private static void assertConsistent(Graph graph) throws SyncException {
        List<Command> woven = graph.weave();
        assertThat(woven).hasSize(graph.size());
        assertThat(woven.stream().map(Command::id).filter(id -> !served.contains(id)).toList()).as("commands the server never had").isEmpty();
    }

    private static SyncException failureOf(Future<SyncSummary> sync) throws Exception {
        try {
            SyncSummary summary = sync.get(LINE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return fail("the sync succeeded although its server was killed: " + summary);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SyncException failure) {
                return failure;
            }
            throw e;
        }
    }

    /** Runs kill once the session has received killAfter messages, before handing the last one on. */
    private static final class KillingStream implements MessageStream {
        private final MessageStream stream;
        private final int killAfter;
        private final ThrowingRunnable kill;
        private final long opened = System.nanoTime();
        private volatile Optional<Duration> firedAfter = Optional.empty();
        private int received;

        KillingStream(MessageStream stream, int killAfter, ThrowingRunnable kill) {
            this.stream = stream;
            this.killAfter = killAfter;
            this.kill = kill;
        }

        /** How long after this stream was made the kill ran, if it did. */
        Optional<Duration> firedAfter() {
            return firedAfter;
        }

        @Override
        public void send(byte[] message) throws IOException, SyncException {
            stream.send(message);
        }

        @Override
        public Optional<byte[]> receive() throws IOException, SyncException {
            Optional<byte[]> message = stream.receive();
            if (++received == killAfter) {
                try {
                    kill.run();
                } catch (Exception e) {
                    throw new IllegalStateException("could not kill the server", e);
                }
                firedAfter = Optional.of(Duration.ofNanos(System.nanoTime() - opened));
            }
            return message;
        }

        @Override
        public void finish() throws IOException, SyncException {
            stream.finish();
        }

        @Override
        public String peer() {
            return stream.peer();
        }

        @Override
        public void close() {
            stream.close();
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** A {@link NodeProcess}, its output lines read as they come; closing ends it (by SIGKILL if still running). */
    private record Child(Process process, LinkedBlockingQueue<Optional<String>> lines) implements AutoCloseable {
        static Child start(String... args) throws IOException {
            Process process = ChildJvm.test(NodeProcess.class, args).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            LinkedBlockingQueue<Optional<String>> lines = new LinkedBlockingQueue<>();
            Thread.ofVirtual().name("child-output").start(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        lines.add(Optional.of(line));
                    }
                } catch (IOException e) {
                    // the child is gone; the end marker below says so
                }
                lines.add(Optional.empty());
            });
            return new Child(process, lines);
        }

        /** The next line, or null once the child's output has ended. */
        String nextLine() throws InterruptedException {
            Optional<String> line = lines.poll(LINE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (line == null) {
                throw new AssertionError("no output from the child for " + LINE_TIMEOUT);
            }
            if (line.isEmpty()) {
                lines.add(line); // stays ended
            }
            return line.orElse(null);
        }

        /** The port of a serving child, once it listens; its team must have arrived whole. */
        int listening() throws InterruptedException {
            String line = nextLine();
            assertThat(line).as("serving child start").startsWith("LISTENING ");
            String[] parts = line.split(" ");
            assertThat(Integer.parseInt(parts[2])).as("the served team after restarts").isEqualTo(served.size());
            return Integer.parseInt(parts[1]);
        }

        /** SIGKILL: no shutdown hooks, no flush. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            assertThat(process.waitFor(LINE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("killed child exits").isTrue();
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) {
                process.getOutputStream().close(); // the child closes its node and exits
            }
            if (!process.waitFor(LINE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the child did not exit after its input ended");
            }
        }
    }
}
