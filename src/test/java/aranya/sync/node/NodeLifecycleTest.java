package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.peers.SyncPeerConfig;
import aranya.sync.protocol.MessageStream;
import aranya.sync.protocol.SyncSummary;
import aranya.sync.quic.SyncConnector;
import aranya.sync.quic.TransportConfig;
import aranya.sync.wire.MessageCodec;
import aranya.sync.wire.SessionId;
import aranya.sync.wire.SyncRequestMessage;
import aranya.sync.wire.SyncType;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node's lifecycle as an embedder sees it, over real QUIC on loopback: a failed open leaves
 * nothing behind, and interrupting syncNow, cancelling syncAsync's future or closing the node
 * ends the sessions in progress at once (their streams reset, the peer sees it) instead of at
 * their idle timeout, which these tests set to a minute so that only cancellation can end them.
 */
class NodeLifecycleTest {
    private static final Duration LONG_IDLE = Duration.ofSeconds(60);
    /** Far below LONG_IDLE: a session that ends within it was cancelled, not timed out. */
    private static final long PROMPT_SECONDS = 20;

    @TempDir
    Path dir;

    private static long connectorTimers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("aranya-sync-connector-timer")).count();
    }

    @Test
    void anOpenThatFailsOnABusyPortReleasesEverythingAndTheNextOpenSucceeds() throws Exception {
        Path data = dir.resolve("node");
        GraphId team;
        try (SyncNode node = SyncNode.builder(data).open()) {
            team = node.createTeam(List.of()).team(); // a graph file, locked while the node is open
        }
        long timersBefore = connectorTimers();
        try (DatagramSocket busy = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            InetSocketAddress taken = new InetSocketAddress(InetAddress.getLoopbackAddress(), busy.getLocalPort());
            assertThatThrownBy(() -> SyncNode.builder(data).listenAddress(taken).open()).isInstanceOf(IOException.class);
        }
        assertThat(connectorTimers()).as("connector timer threads left running").isEqualTo(timersBefore);
        try (SyncNode again = SyncNode.builder(data).listenAddress(Nodes.LOOPBACK).open()) {
            assertThat(again.teams()).containsExactly(team);
            assertThat(again.size(team)).isEqualTo(1);
        }
    }

    /** A server over real QUIC that reads a client's Poll and then waits on the stream until the client resets it. */
    private static final class HoldingServer implements AutoCloseable {
        final CountDownLatch polled = new CountDownLatch(1);
        final CompletableFuture<SyncException> reset = new CompletableFuture<>();
        final ScriptedServer server;

        HoldingServer(GraphId team, byte[] secret) throws IOException {
            server = ScriptedServer.start(team, secret, TransportConfig.builder().idleTimeout(LONG_IDLE).build(), (stream, poll) -> {
                polled.countDown();
                try {
                    stream.receive(); // a bidirectional client sends nothing more: only a reset ends this
                    reset.completeExceptionally(new AssertionError("the client sent more instead of resetting the stream"));
                } catch (SyncException e) {
                    reset.complete(e);
                }
            });
        }

        @Override
        public void close() {
            server.close();
        }
    }

    private SyncNode clientOf(GraphId team, byte[] secret) throws Exception {
        SyncNode client = SyncNode.builder(dir.resolve("client")).idleTimeout(LONG_IDLE).open();
        client.joinTeam(new TeamCredentials(team, secret));
        return client;
    }

    private static byte[] secret() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return secret;
    }

    private static final GraphId TEAM = GraphId.of(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
            17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32});

    @Test
    void interruptingSyncNowResetsItsStreamAndThrowsCancelledKeepingTheInterruptStatus() throws Exception {
        byte[] secret = secret();
        try (HoldingServer server = new HoldingServer(TEAM, secret); SyncNode client = clientOf(TEAM, secret)) {
            CompletableFuture<SyncException> thrown = new CompletableFuture<>();
            CompletableFuture<Boolean> stillInterrupted = new CompletableFuture<>();
            Thread caller = Thread.ofPlatform().name("syncNow-caller").start(() -> {
                try {
                    client.syncNow(server.server.address(), TEAM, Nodes.BIDI);
                    thrown.completeExceptionally(new AssertionError("syncNow returned"));
                } catch (SyncException e) {
                    thrown.complete(e);
                } catch (RuntimeException e) {
                    thrown.completeExceptionally(e);
                }
                stillInterrupted.complete(Thread.currentThread().isInterrupted());
            });
            assertThat(server.polled.await(PROMPT_SECONDS, TimeUnit.SECONDS)).isTrue();
            caller.interrupt();
            SyncException e = thrown.get(PROMPT_SECONDS, TimeUnit.SECONDS);
            assertThat(e.error()).isEqualTo(SyncError.CANCELLED);
            assertThat(e.getCause()).isInstanceOf(InterruptedException.class);
            assertThat(stillInterrupted.get(PROMPT_SECONDS, TimeUnit.SECONDS)).as("interrupt status kept").isTrue();
            // The peer sees the stream reset, not a session that lingers until its idle timeout.
            assertThat(server.reset.get(PROMPT_SECONDS, TimeUnit.SECONDS).error()).isEqualTo(SyncError.TRANSPORT);
            caller.join();
        }
    }

    @Test
    void cancellingSyncAsyncsFutureResetsTheStreamAndTheOutcomeIsCancelled() throws Exception {
        byte[] secret = secret();
        try (HoldingServer server = new HoldingServer(TEAM, secret); SyncNode client = clientOf(TEAM, secret)) {
            CompletableFuture<SyncOutcome> outcome = new CompletableFuture<>();
            client.onSyncOutcome(outcome::complete);
            CompletableFuture<SyncSummary> sync = client.syncAsync(server.server.address(), TEAM, Nodes.BIDI);
            assertThat(server.polled.await(PROMPT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(sync.cancel(true)).isTrue();
            assertThatThrownBy(sync::join).isInstanceOf(CancellationException.class);
            assertThat(server.reset.get(PROMPT_SECONDS, TimeUnit.SECONDS).error()).isEqualTo(SyncError.TRANSPORT);
            SyncOutcome ended = outcome.get(PROMPT_SECONDS, TimeUnit.SECONDS);
            assertThat(ended).isInstanceOfSatisfying(SyncOutcome.Failed.class, f -> {
                assertThat(f.trigger()).isEqualTo(SyncOutcome.Trigger.ON_DEMAND);
                assertThat(f.error().error()).isEqualTo(SyncError.CANCELLED);
            });
        }
    }

    @Test
    void closeCancelsAScheduledSessionAndWaitsForIt() throws Exception {
        byte[] secret = secret();
        try (HoldingServer server = new HoldingServer(TEAM, secret)) {
            SyncNode client = clientOf(TEAM, secret);
            List<SyncOutcome> outcomes = new CopyOnWriteArrayList<>();
            client.onSyncOutcome(outcomes::add);
            client.addSyncPeer(server.server.address(), TEAM,
                    SyncPeerConfig.builder().interval(Duration.ofHours(1)).bidirectional(true).build());
            assertThat(server.polled.await(PROMPT_SECONDS, TimeUnit.SECONDS)).isTrue();
            client.close();
            // close() returned only after the session ended and was reported.
            assertThat(outcomes).singleElement().isInstanceOfSatisfying(SyncOutcome.Failed.class, f -> {
                assertThat(f.trigger()).isEqualTo(SyncOutcome.Trigger.SCHEDULED);
                assertThat(f.error().error()).isEqualTo(SyncError.CANCELLED);
            });
            assertThat(client.openSessions()).isZero();
            assertThat(server.reset.get(PROMPT_SECONDS, TimeUnit.SECONDS).error()).isEqualTo(SyncError.TRANSPORT);
            assertThatThrownBy(() -> client.syncAsync(server.server.address(), TEAM, Optional.empty()))
                    .isInstanceOf(IllegalStateException.class);
            client.close(); // idempotent
        }
    }

    @Test
    void closeCancelsAnOnDemandSessionAndItsFutureFailsWithCancelled() throws Exception {
        byte[] secret = secret();
        try (HoldingServer server = new HoldingServer(TEAM, secret)) {
            SyncNode client = clientOf(TEAM, secret);
            CompletableFuture<SyncSummary> sync = client.syncAsync(server.server.address(), TEAM, Nodes.BIDI);
            assertThat(server.polled.await(PROMPT_SECONDS, TimeUnit.SECONDS)).isTrue();
            client.close();
            assertThat(sync).as("ended before close() returned").isDone();
            assertThatThrownBy(sync::join).cause().isInstanceOfSatisfying(SyncException.class,
                    e -> assertThat(e.error()).isEqualTo(SyncError.CANCELLED));
            assertThat(server.reset.get(PROMPT_SECONDS, TimeUnit.SECONDS).error()).isEqualTo(SyncError.TRANSPORT);
            assertThatThrownBy(() -> client.syncNow(server.server.address(), TEAM, Optional.empty()))
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void closeCancelsAServedSessionAndWaitsForIt() throws Exception {
        SyncNode server = SyncNode.builder(dir.resolve("server")).listenAddress(Nodes.LOOPBACK).idleTimeout(LONG_IDLE).open();
        TeamCredentials team = server.createTeam(List.of());
        List<SyncOutcome> outcomes = new CopyOnWriteArrayList<>();
        server.onSyncOutcome(outcomes::add);
        try (SyncConnector client = new SyncConnector(TransportConfig.builder().idleTimeout(LONG_IDLE).build())) {
            InetSocketAddress at = server.listenAddress().orElseThrow();
            MessageStream stream = client.openStream(at.getHostString(), at.getPort(), team.team(), team.secret());
            // A bidirectional poll: the server answers, sends its own request, and waits for our answer, which never comes.
            stream.send(MessageCodec.encode(new SyncType.Poll(
                    new SyncRequestMessage.SyncRequest(new SessionId(5, 6), team.team(), 0, List.of()), true)));
            byte[] last = null;
            for (int i = 0; i < 3; i++) { // Ok(SyncResponse with the init command), Ok(SyncEnd), then the server's Poll
                last = stream.receive().orElseThrow();
            }
            assertThat(MessageCodec.decodeSyncType(last, 0, last.length)).isInstanceOf(SyncType.Poll.class);
            assertThat(server.openSessions()).isEqualTo(1);
            server.close();
            assertThat(outcomes).singleElement().isInstanceOfSatisfying(SyncOutcome.Failed.class, f -> {
                assertThat(f.trigger()).isEqualTo(SyncOutcome.Trigger.SERVED);
                assertThat(f.team()).contains(team.team());
                assertThat(f.error().error()).isEqualTo(SyncError.CANCELLED);
            });
            assertThat(server.openSessions()).isZero();
            stream.close();
        } finally {
            server.close();
        }
    }
}
