package aranya.sync.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Address;
import aranya.sync.graph.Command;
import aranya.sync.wire.Limits;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Hello subscriptions over in-memory streams: what the publisher sends, and when it stops. */
class HelloSessionTest {
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    /** Serves one stream for server on a virtual thread; completes when the serving ends. */
    private static CompletableFuture<SyncSummary> serve(InMemoryMessageStream stream, TestPeer server, HelloPublisher hellos) {
        return server.serve(stream, id -> true, hellos);
    }

    /** What a subscriber asks for: the debounce, the duration and the periodic interval. */
    private record Ask(Duration debounce, Duration duration, Duration schedule) {}

    private static void subscribeHellos(InMemoryMessageStream stream, TestPeer server, Ask ask, Consumer<Address> onHello) throws SyncException {
        new SyncSession(stream, new PeerCache(), Limits.MAX_SYNC_MESSAGE_SIZE)
                .subscribeHellos(server.graph.id(), ask.debounce(), ask.duration(), ask.schedule(), onHello);
    }

    /** Subscribes on a virtual thread, queueing every head announced; completes when the publisher ends the stream. */
    private static CompletableFuture<Void> subscriber(InMemoryMessageStream stream, TestPeer server, Ask ask, BlockingQueue<Address> heads) {
        return CompletableFuture.runAsync(() -> {
            try {
                subscribeHellos(stream, server, ask, heads::add);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
    }

    @Test
    void theCurrentHeadIsAnnouncedAtOnceAndEveryChangeAfterIt() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init)) {
            HelloPublisher hellos = new HelloPublisher(4, Duration.ofSeconds(10));
            InMemoryMessageStream[] pair = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
            BlockingQueue<Address> heads = new LinkedBlockingQueue<>();
            serve(pair[1], server, hellos);
            CompletableFuture<Void> subscribed = subscriber(pair[0], server, new Ask(Duration.ZERO, Duration.ofHours(1), Duration.ZERO), heads);

            assertThat(heads.poll(10, TimeUnit.SECONDS)).isEqualTo(init.address());
            assertThat(hellos.active()).isEqualTo(1);
            for (int i = 0; i < 3; i++) {
                server.append(1, 16);
                assertThat(heads.poll(10, TimeUnit.SECONDS)).isEqualTo(server.graph.head().orElseThrow());
            }
            pair[0].close();
            server.append(1, 16); // the next send finds the subscriber gone
            assertThat(hellos.awaitIdle(Duration.ofSeconds(10))).isTrue();
            assertThat(subscribed).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class); // not a timeout
        }
    }

    @Test
    void changesInsideTheDebounceWindowAreSentWhenItEndsNotDropped() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init)) {
            HelloPublisher hellos = new HelloPublisher(4, Duration.ofSeconds(10));
            InMemoryMessageStream[] pair = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
            BlockingQueue<Address> heads = new LinkedBlockingQueue<>();
            serve(pair[1], server, hellos);
            // No periodic hellos: only the debounce can deliver the changes made right after the first hello.
            subscriber(pair[0], server, new Ask(Duration.ofMillis(300), Duration.ofHours(1), Duration.ZERO), heads);

            assertThat(heads.poll(10, TimeUnit.SECONDS)).isEqualTo(init.address());
            server.append(1, 16);
            server.append(1, 16);
            Address last = server.graph.head().orElseThrow();
            Address next = heads.poll(10, TimeUnit.SECONDS);
            if (!last.equals(next)) {
                next = heads.poll(10, TimeUnit.SECONDS); // the window may have ended between the two appends
            }
            assertThat(next).isEqualTo(last);
            pair[0].close();
            hellos.close(); // ends the serving thread now, not at the end of its lifetime
        }
    }

    @Test
    void theSubscriptionEndsWhenItsDurationIsOverAndItsSlotIsFreed() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init)) {
            HelloPublisher hellos = new HelloPublisher(4, Duration.ofSeconds(10));
            InMemoryMessageStream[] pair = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
            BlockingQueue<Address> heads = new LinkedBlockingQueue<>();
            CompletableFuture<SyncSummary> served = serve(pair[1], server, hellos);
            CompletableFuture<Void> subscribed = subscriber(pair[0], server, new Ask(Duration.ZERO, Duration.ofMillis(200), Duration.ZERO), heads);

            subscribed.get(10, TimeUnit.SECONDS); // returns normally: the publisher finished the stream
            served.get(10, TimeUnit.SECONDS);
            assertThat(heads).containsExactly(init.address());
            assertThat(hellos.active()).isZero();
        }
    }

    @Test
    void aStreamIsHeldNoLongerThanThePublishersLifetimeEvenForALongerSubscription() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init)) {
            HelloPublisher hellos = new HelloPublisher(4, Duration.ofMillis(200));
            InMemoryMessageStream[] pair = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
            serve(pair[1], server, hellos);
            CompletableFuture<Void> subscribed = subscriber(pair[0], server, new Ask(Duration.ZERO, Duration.ofDays(365), Duration.ZERO), new LinkedBlockingQueue<>());

            subscribed.get(10, TimeUnit.SECONDS);
            assertThat(hellos.active()).isZero();
        }
    }

    @Test
    void subscriptionsOverTheLimitAreRefusedWithAClearError() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init)) {
            HelloPublisher hellos = new HelloPublisher(1, Duration.ofSeconds(10));
            InMemoryMessageStream[] first = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
            BlockingQueue<Address> heads = new LinkedBlockingQueue<>();
            serve(first[1], server, hellos);
            subscriber(first[0], server, new Ask(Duration.ZERO, Duration.ofHours(1), Duration.ZERO), heads);
            assertThat(heads.poll(10, TimeUnit.SECONDS)).isNotNull();

            InMemoryMessageStream[] second = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
            serve(second[1], server, hellos);
            assertThatThrownBy(() -> subscribeHellos(second[0], server, new Ask(Duration.ZERO, Duration.ofHours(1), Duration.ZERO), h -> {}))
                    .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.PEER_ERROR))
                    .hasMessageContaining("too many hello subscriptions");
            assertThat(hellos.active()).isEqualTo(1);
            first[0].close();
            hellos.close(); // ends the serving thread now, not at the end of its lifetime
        }
    }

    @Test
    void anUnauthenticatedPeerCannotSubscribe() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init)) {
            HelloPublisher hellos = new HelloPublisher(1, Duration.ofSeconds(10));
            InMemoryMessageStream[] pair = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
            server.serve(pair[1], id -> false, hellos);
            assertThatThrownBy(() -> subscribeHellos(pair[0], server, new Ask(Duration.ZERO, Duration.ofHours(1), Duration.ZERO), h -> {}))
                    .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.PEER_ERROR))
                    .hasMessageContaining("not authenticated");
            assertThat(hellos.active()).isZero();
        }
    }

    @Test
    void periodicHellosRepeatTheHeadWithoutChanges() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init)) {
            HelloPublisher hellos = new HelloPublisher(1, Duration.ofSeconds(10));
            InMemoryMessageStream[] pair = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
            BlockingQueue<Address> heads = new LinkedBlockingQueue<>();
            serve(pair[1], server, hellos);
            subscriber(pair[0], server, new Ask(Duration.ZERO, Duration.ofHours(1), Duration.ofMillis(100)), heads);
            for (int i = 0; i < 3; i++) {
                assertThat(heads.poll(10, TimeUnit.SECONDS)).isEqualTo(init.address());
            }
            pair[0].close();
            hellos.close(); // ends the serving thread now, not at the end of its lifetime
        }
    }

    @Test
    void closingThePublisherEndsEverySubscriptionAndRefusesNewOnes() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init)) {
            HelloPublisher hellos = new HelloPublisher(4, Duration.ofMinutes(10));
            InMemoryMessageStream[] pair = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
            BlockingQueue<Address> heads = new LinkedBlockingQueue<>();
            CompletableFuture<SyncSummary> served = serve(pair[1], server, hellos);
            // Durations far past what a Java Duration in nanoseconds holds must not break the slot accounting.
            Duration huge = Duration.ofSeconds(Long.MAX_VALUE);
            CompletableFuture<Void> subscribed = subscriber(pair[0], server, new Ask(huge, Duration.ofHours(1), huge), heads);
            assertThat(heads.poll(10, TimeUnit.SECONDS)).isEqualTo(init.address());

            hellos.close();
            subscribed.get(10, TimeUnit.SECONDS); // the publisher finished the stream
            served.get(10, TimeUnit.SECONDS);
            assertThat(hellos.active()).isZero();

            InMemoryMessageStream[] late = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
            serve(late[1], server, hellos);
            assertThatThrownBy(() -> subscribeHellos(late[0], server, new Ask(Duration.ZERO, Duration.ofHours(1), Duration.ZERO), h -> {}))
                    .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.PEER_ERROR));
        }
    }
}
