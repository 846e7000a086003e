package aranya.sync.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Address;
import aranya.sync.graph.Command;
import aranya.sync.graph.GraphId;
import aranya.sync.wire.Limits;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Hello subscriptions over in-memory streams: what the publisher sends, and when it stops. */
class HelloSessionTest {
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final Duration HOUR = Duration.ofHours(1);

    /** What a subscriber asks for: the debounce, the duration and the periodic interval. */
    private record Ask(Duration debounce, Duration duration, Duration schedule) {}

    /**
     * One subscription in progress: the subscriber's end of the stream, the heads it has been
     * told (in order), and the two sides' futures (each completes when its side is done).
     */
    private record Subscription(InMemoryMessageStream stream, BlockingQueue<Address> heads,
            CompletableFuture<SyncSummary> served, CompletableFuture<Void> subscribed) {}

    /** Serves a new stream from server through hellos and subscribes on it as ask says, each on a virtual thread. */
    private static Subscription subscribe(TestPeer server, HelloPublisher hellos, Ask ask) {
        InMemoryMessageStream[] pair = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
        BlockingQueue<Address> heads = new LinkedBlockingQueue<>();
        CompletableFuture<SyncSummary> served = server.serve(pair[1], id -> true, hellos);
        CompletableFuture<Void> subscribed = CompletableFuture.runAsync(() -> {
            try {
                subscribeHellos(pair[0], server, ask, heads::add);
            } catch (SyncException e) {
                throw new IllegalStateException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
        return new Subscription(pair[0], heads, served, subscribed);
    }

    private static void subscribeHellos(InMemoryMessageStream stream, TestPeer server, Ask ask, Consumer<Address> onHello) throws SyncException {
        new SyncSession(stream, new PeerCache(), Limits.MAX_SYNC_MESSAGE_SIZE)
                .subscribeHellos(server.graph.id(), ask.debounce(), ask.duration(), ask.schedule(), onHello);
    }

    /** Subscribes on a new stream in this thread; for subscriptions the server refuses. */
    private static void subscribeRefused(TestPeer server, HelloPublisher hellos, Predicate<GraphId> authorized, String why) {
        InMemoryMessageStream[] pair = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
        server.serve(pair[1], authorized, hellos);
        assertThatThrownBy(() -> subscribeHellos(pair[0], server, new Ask(Duration.ZERO, HOUR, Duration.ZERO), h -> {}))
                .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.PEER_ERROR))
                .hasMessageContaining(why);
    }

    @Test
    void theCurrentHeadIsAnnouncedAtOnceAndEveryChangeAfterIt() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init); HelloPublisher hellos = new HelloPublisher(4, Duration.ofSeconds(10))) {
            Subscription s = subscribe(server, hellos, new Ask(Duration.ZERO, HOUR, Duration.ZERO));

            assertThat(s.heads().poll(10, TimeUnit.SECONDS)).isEqualTo(init.address());
            assertThat(hellos.active()).isEqualTo(1);
            for (int i = 0; i < 3; i++) {
                server.append(1, 16);
                assertThat(s.heads().poll(10, TimeUnit.SECONDS)).isEqualTo(server.graph.heads().getFirst());
            }
            s.stream().close();
            server.append(1, 16); // the next send finds the subscriber gone
            assertThat(hellos.awaitIdle(Duration.ofSeconds(10))).isTrue();
            assertThat(s.subscribed()).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class); // not a timeout
        }
    }

    @Test
    void aGraphWithSeveralHeadsAnnouncesItsSyntheticHead() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init); TestPeer other = TestPeer.of(init);
                HelloPublisher hellos = new HelloPublisher(4, Duration.ofSeconds(10))) {
            Subscription s = subscribe(server, hellos, new Ask(Duration.ZERO, HOUR, Duration.ZERO));
            assertThat(s.heads().poll(10, TimeUnit.SECONDS)).isEqualTo(init.address());

            server.append(1, 16);
            assertThat(s.heads().poll(10, TimeUnit.SECONDS)).isEqualTo(server.graph.heads().getFirst());
            server.graph.addCommands(other.append(1, 16)); // a concurrent command: two heads, no merge
            assertThat(server.graph.heads()).hasSize(2);
            Address synthetic = server.graph.syntheticHead().orElseThrow();
            assertThat(s.heads().poll(10, TimeUnit.SECONDS)).isEqualTo(synthetic);
            assertThat(server.graph.contains(synthetic.id())).isFalse(); // announced, not stored
            Command on = server.append(1, 16).getFirst(); // the append stores it as the merge under the new command
            assertThat(on.parent().addresses()).containsExactly(synthetic);
            assertThat(s.heads().poll(10, TimeUnit.SECONDS)).isEqualTo(on.address());
            s.stream().close();
        }
    }

    @Test
    void changesInsideTheDebounceWindowAreSentWhenItEndsNotDropped() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init); HelloPublisher hellos = new HelloPublisher(4, Duration.ofSeconds(10))) {
            // No periodic hellos: only the debounce can deliver the changes made right after the first hello.
            Subscription s = subscribe(server, hellos, new Ask(Duration.ofMillis(300), HOUR, Duration.ZERO));

            assertThat(s.heads().poll(10, TimeUnit.SECONDS)).isEqualTo(init.address());
            server.append(1, 16);
            server.append(1, 16);
            Address last = server.graph.heads().getFirst();
            Address next = s.heads().poll(10, TimeUnit.SECONDS);
            if (!last.equals(next)) {
                next = s.heads().poll(10, TimeUnit.SECONDS); // the window may have ended between the two appends
            }
            assertThat(next).isEqualTo(last);
        }
    }

    @Test
    void theSubscriptionEndsWhenItsDurationIsOverAndItsSlotIsFreed() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init); HelloPublisher hellos = new HelloPublisher(4, Duration.ofSeconds(10))) {
            Subscription s = subscribe(server, hellos, new Ask(Duration.ZERO, Duration.ofMillis(200), Duration.ZERO));

            s.subscribed().get(10, TimeUnit.SECONDS); // returns normally: the publisher finished the stream
            s.served().get(10, TimeUnit.SECONDS);
            assertThat(s.heads()).containsExactly(init.address());
            assertThat(hellos.active()).isZero();
        }
    }

    @Test
    void aStreamIsHeldNoLongerThanThePublishersLifetimeEvenForALongerSubscription() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init); HelloPublisher hellos = new HelloPublisher(4, Duration.ofMillis(200))) {
            Subscription s = subscribe(server, hellos, new Ask(Duration.ZERO, Duration.ofDays(365), Duration.ZERO));

            s.subscribed().get(10, TimeUnit.SECONDS);
            assertThat(hellos.active()).isZero();
        }
    }

    @Test
    void subscriptionsOverTheLimitAreRefusedWithAClearError() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init); HelloPublisher hellos = new HelloPublisher(1, Duration.ofSeconds(10))) {
            Subscription first = subscribe(server, hellos, new Ask(Duration.ZERO, HOUR, Duration.ZERO));
            assertThat(first.heads().poll(10, TimeUnit.SECONDS)).isNotNull();

            subscribeRefused(server, hellos, id -> true, "too many hello subscriptions");
            assertThat(hellos.active()).isEqualTo(1);
        }
    }

    @Test
    void anUnauthenticatedPeerCannotSubscribe() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init); HelloPublisher hellos = new HelloPublisher(1, Duration.ofSeconds(10))) {
            subscribeRefused(server, hellos, id -> false, "not authenticated");
            assertThat(hellos.active()).isZero();
        }
    }

    @Test
    void periodicHellosRepeatTheHeadWithoutChanges() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init); HelloPublisher hellos = new HelloPublisher(1, Duration.ofSeconds(10))) {
            Subscription s = subscribe(server, hellos, new Ask(Duration.ZERO, HOUR, Duration.ofMillis(100)));
            for (int i = 0; i < 3; i++) {
                assertThat(s.heads().poll(10, TimeUnit.SECONDS)).isEqualTo(init.address());
            }
        }
    }

    @Test
    void closingThePublisherEndsEverySubscriptionAndRefusesNewOnes() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init); HelloPublisher hellos = new HelloPublisher(4, Duration.ofMinutes(10))) {
            // Durations far past what a Java Duration in nanoseconds holds must not break the slot accounting.
            Duration huge = Duration.ofSeconds(Long.MAX_VALUE);
            Subscription s = subscribe(server, hellos, new Ask(huge, HOUR, huge));
            assertThat(s.heads().poll(10, TimeUnit.SECONDS)).isEqualTo(init.address());

            hellos.close();
            s.subscribed().get(10, TimeUnit.SECONDS); // the publisher finished the stream
            s.served().get(10, TimeUnit.SECONDS);
            assertThat(hellos.active()).isZero();
            subscribeRefused(server, hellos, id -> true, "too many hello subscriptions");
        }
    }
}
