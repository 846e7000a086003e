package aranya.sync.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.protocol.SyncSummary;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The scheduler against a fake syncer that counts calls; no network, no sleeps. */
class SyncSchedulerTest {
    private static final GraphId TEAM = GraphId.of(new byte[32]);
    private static final PeerAddress LIVE = new PeerAddress("live", 1);
    private static final PeerAddress DEAD = new PeerAddress("dead", 2);
    private static final SyncSummary OK = new SyncSummary(0, 0, 0, false, 0);
    private static final SyncScheduler.Backoff FAST = new SyncScheduler.Backoff(Duration.ofMillis(5), Duration.ofMillis(40));

    private final Map<PeerAddress, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Map<PeerAddress, Semaphore> progress = new ConcurrentHashMap<>();

    private AtomicInteger calls(PeerAddress p) {
        return calls.computeIfAbsent(p, k -> new AtomicInteger());
    }

    private Semaphore progress(PeerAddress p) {
        return progress.computeIfAbsent(p, k -> new Semaphore(0));
    }

    private final SyncScheduler.Listener quiet = new SyncScheduler.Listener() {
        @Override
        public void synced(PeerAddress peer, GraphId team, SyncSummary summary) {}

        @Override
        public void failed(PeerAddress peer, GraphId team, SyncException failure) {}
    };

    @Test
    void aDeadPeerDoesNotDelayALiveOne() throws Exception {
        CountDownLatch deadStuck = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        SyncScheduler.PeerSyncer syncer = (peer, team, bidi) -> {
            calls(peer).incrementAndGet();
            if (peer.equals(DEAD)) {
                deadStuck.countDown();
                try {
                    release.await(); // a peer that never answers, until the test lets go
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new SyncException(SyncError.TIMEOUT, "dead");
            }
            progress(peer).release();
            return OK;
        };
        try (SyncScheduler s = new SyncScheduler(syncer, FAST, quiet)) {
            SyncPeerConfig every = SyncPeerConfig.builder().interval(Duration.ofMillis(1)).build();
            s.addSyncPeer(DEAD, TEAM, every);
            assertThat(deadStuck.await(10, TimeUnit.SECONDS)).isTrue();
            s.addSyncPeer(LIVE, TEAM, every);
            // While the dead peer's single sync is still hanging, the live peer syncs 20 times.
            assertThat(progress(LIVE).tryAcquire(20, 30, TimeUnit.SECONDS)).isTrue();
            assertThat(calls(DEAD).get()).isEqualTo(1);
            release.countDown();
        }
    }

    @Test
    void removingAPeerStopsItsSyncs() throws Exception {
        SyncScheduler.PeerSyncer syncer = (peer, team, bidi) -> {
            calls(peer).incrementAndGet();
            progress(peer).release();
            return OK;
        };
        try (SyncScheduler s = new SyncScheduler(syncer, FAST, quiet)) {
            SyncPeerConfig every = SyncPeerConfig.builder().interval(Duration.ofMillis(1)).build();
            s.addSyncPeer(LIVE, TEAM, every);
            assertThat(progress(LIVE).tryAcquire(5, 10, TimeUnit.SECONDS)).isTrue();
            assertThat(s.removeSyncPeer(LIVE, TEAM)).isTrue();
            int atRemoval = calls(LIVE).get();
            // Another peer on the same 1 ms schedule syncs 20 times: time in which the removed
            // peer would have synced as often had it not been stopped.
            s.addSyncPeer(DEAD, TEAM, every);
            assertThat(progress(DEAD).tryAcquire(20, 10, TimeUnit.SECONDS)).isTrue();
            assertThat(calls(LIVE).get()).isLessThanOrEqualTo(atRemoval + 1); // at most the one in flight
            assertThat(s.peers()).containsOnlyKeys(new SyncScheduler.PeerKey(DEAD, TEAM));
            assertThat(s.removeSyncPeer(LIVE, TEAM)).isFalse();
        }
    }

    @Test
    void failuresBackOffAndRecover() throws Exception {
        AtomicInteger attempt = new AtomicInteger();
        Semaphore done = new Semaphore(0);
        SyncScheduler.PeerSyncer syncer = (peer, team, bidi) -> {
            int n = attempt.incrementAndGet();
            done.release();
            if (n <= 3) {
                throw new SyncException(SyncError.TRANSPORT, "down");
            }
            return OK;
        };
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger successes = new AtomicInteger();
        SyncScheduler.Listener counting = new SyncScheduler.Listener() {
            @Override
            public void synced(PeerAddress peer, GraphId team, SyncSummary summary) {
                successes.incrementAndGet();
            }

            @Override
            public void failed(PeerAddress peer, GraphId team, SyncException failure) {
                failures.incrementAndGet();
            }
        };
        try (SyncScheduler s = new SyncScheduler(syncer, FAST, counting)) {
            s.addSyncPeer(LIVE, TEAM, SyncPeerConfig.builder().build()); // one-shot, retried until it succeeds
            assertThat(done.tryAcquire(4, 10, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(failures.get()).isEqualTo(3);
        assertThat(attempt.get()).isEqualTo(4);
        assertThat(FAST.after(1)).isEqualTo(Duration.ofMillis(5));
        assertThat(FAST.after(3)).isEqualTo(Duration.ofMillis(20));
        assertThat(FAST.after(30)).isEqualTo(Duration.ofMillis(40));
    }

    @Test
    void syncNowWaitsForTheResultAndUsesTheConfigsFlag() throws Exception {
        Map<Boolean, AtomicInteger> byMode = new ConcurrentHashMap<>();
        SyncScheduler.PeerSyncer syncer = (peer, team, bidi) -> {
            byMode.computeIfAbsent(bidi, k -> new AtomicInteger()).incrementAndGet();
            if (peer.equals(DEAD)) {
                throw new SyncException(SyncError.TIMEOUT, "dead");
            }
            return new SyncSummary(3, 3, 0, false, 0);
        };
        try (SyncScheduler s = new SyncScheduler(syncer, FAST, quiet)) {
            assertThat(s.syncNow(LIVE, TEAM, Optional.empty()).added()).isEqualTo(3);
            s.syncNow(LIVE, TEAM, Optional.of(SyncPeerConfig.builder().bidirectional(true).build()));
            s.syncNow(LIVE, TEAM, Optional.of(SyncPeerConfig.builder().build()));
            assertThat(byMode.get(false).get()).isEqualTo(2);
            assertThat(byMode.get(true).get()).isEqualTo(1);
            assertThatThrownBy(() -> s.syncNow(DEAD, TEAM, Optional.empty()))
                    .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.TIMEOUT));
        }
    }

    @Test
    void periodicSyncsHonourTheBidirectionalFlagEveryTime() throws Exception {
        Semaphore bidiCalls = new Semaphore(0);
        AtomicInteger uni = new AtomicInteger();
        SyncScheduler.PeerSyncer syncer = (peer, team, bidi) -> {
            if (bidi) {
                bidiCalls.release();
            } else {
                uni.incrementAndGet();
            }
            return OK;
        };
        try (SyncScheduler s = new SyncScheduler(syncer, FAST, quiet)) {
            s.addSyncPeer(LIVE, TEAM, SyncPeerConfig.builder().interval(Duration.ofMillis(1)).bidirectional(true).build());
            assertThat(bidiCalls.tryAcquire(10, 10, TimeUnit.SECONDS)).isTrue();
            assertThat(uni.get()).isZero();
        }
    }
}
