package aranya.sync.peers;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.protocol.SyncSummary;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Keeps a node in sync with its peers. Every (peer, team) pair has its own virtual thread
 * that sleeps until its next sync is due, so a slow, dead or misbehaving peer delays nobody
 * else (Aranya's manager runs all syncs one after another in one loop: aranya #453, #660).
 * A failed sync is retried after an exponential backoff, never sooner than the interval,
 * and the normal interval resumes after the next success.
 */
public final class SyncScheduler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SyncScheduler.class.getName());

    /** Runs one complete sync with a peer; the transport's deadline bounds how long it takes. */
    @FunctionalInterface
    public interface PeerSyncer {
        /**
         * Syncs with peer for team once.
         *
         * @param peer the peer
         * @param team the team's graph
         * @param bidirectional whether to answer the peer's request too
         * @return what moved
         * @throws SyncException if the sync failed
         */
        SyncSummary sync(PeerAddress peer, GraphId team, boolean bidirectional) throws SyncException;
    }

    /** Told about every sync the scheduler runs, scheduled or on demand. */
    public interface Listener {
        /**
         * A sync succeeded.
         *
         * @param peer the peer
         * @param team the team's graph
         * @param summary what moved
         */
        void synced(PeerAddress peer, GraphId team, SyncSummary summary);

        /**
         * A sync failed.
         *
         * @param peer the peer
         * @param team the team's graph
         * @param failure why
         */
        void failed(PeerAddress peer, GraphId team, SyncException failure);
    }

    /**
     * How retries slow down: the n-th consecutive failure waits {@code base * 2^(n-1)},
     * at most {@code cap}.
     *
     * @param base the wait after the first failure
     * @param cap the longest wait
     */
    public record Backoff(Duration base, Duration cap) {
        /** One second doubling up to five minutes. */
        public static final Backoff DEFAULT = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5));

        /** Checks that base is positive and cap at least base. */
        public Backoff {
            if (base.isNegative() || base.isZero() || cap.compareTo(base) < 0) {
                throw new IllegalArgumentException("backoff needs 0 < base <= cap, got " + base + " and " + cap);
            }
        }

        /**
         * {@return the wait after this many failures in a row (at least 1)}
         *
         * @param failures consecutive failures, at least 1
         */
        public Duration after(int failures) {
            Duration d = base;
            for (int i = 1; i < failures && d.compareTo(cap) < 0; i++) {
                d = d.multipliedBy(2);
            }
            return d.compareTo(cap) < 0 ? d : cap;
        }
    }

    /**
     * A scheduled (peer, team) pair.
     *
     * @param peer the peer
     * @param team the team's graph
     */
    public record PeerKey(PeerAddress peer, GraphId team) {}

    private final PeerSyncer syncer;
    private final Backoff backoff;
    private final Listener listener;
    private final Map<PeerKey, PeerTask> tasks = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * A scheduler for a syncer that reports each outcome itself (as {@code SyncNode} does, to
     * the listeners of its {@code onSyncOutcome}).
     *
     * @param syncer what runs each sync
     * @param backoff how retries slow down after failures
     */
    public SyncScheduler(PeerSyncer syncer, Backoff backoff) {
        this(syncer, backoff, new Listener() {
            @Override
            public void synced(PeerAddress peer, GraphId team, SyncSummary summary) {}

            @Override
            public void failed(PeerAddress peer, GraphId team, SyncException failure) {}
        });
    }

    /**
     * A scheduler that tells listener how every sync it runs ended.
     *
     * @param syncer what runs each sync
     * @param backoff how retries slow down after failures
     * @param listener told how each sync ended
     */
    public SyncScheduler(PeerSyncer syncer, Backoff backoff, Listener listener) {
        this.syncer = Objects.requireNonNull(syncer, "syncer");
        this.backoff = Objects.requireNonNull(backoff, "backoff");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Schedules syncs with peer for team; re-adding replaces the configuration and restarts
     * the schedule. With {@code syncNow} the first sync starts at once (this call does not
     * wait for it), else after one interval.
     *
     * @param peer the peer
     * @param team the team's graph
     * @param config the interval, whether to sync now, and the direction
     */
    public void addSyncPeer(PeerAddress peer, GraphId team, SyncPeerConfig config) {
        Objects.requireNonNull(config, "config");
        if (closed) {
            throw new IllegalStateException("scheduler is closed");
        }
        PeerKey key = new PeerKey(Objects.requireNonNull(peer, "peer"), Objects.requireNonNull(team, "team"));
        tasks.compute(key, (k, existing) -> {
            if (existing != null) {
                existing.reconfigure(config);
                return existing;
            }
            PeerTask task = new PeerTask(k, config);
            Thread.ofVirtual().name("sync-peer-" + peer + "-" + team).start(task);
            return task;
        });
    }

    /**
     * Stops syncing with peer for team; a sync already running finishes. Returns whether it was scheduled.
     *
     * @param peer the peer
     * @param team the team's graph
     * @return whether the pair was scheduled
     */
    public boolean removeSyncPeer(PeerAddress peer, GraphId team) {
        PeerTask task = tasks.remove(new PeerKey(peer, team));
        if (task != null) {
            task.cancel();
        }
        return task != null;
    }

    /** {@return the scheduled pairs and their configurations} */
    public Map<PeerKey, SyncPeerConfig> peers() {
        Map<PeerKey, SyncPeerConfig> out = new java.util.TreeMap<>(
                java.util.Comparator.comparing((PeerKey k) -> k.peer().toString()).thenComparing(PeerKey::team));
        tasks.forEach((k, t) -> out.put(k, t.config()));
        return out;
    }

    /**
     * Syncs with peer now and waits for the result (Aranya's {@code sync_now}); an empty
     * config means unidirectional. The peer need not be scheduled. One call converges fully.
     *
     * @param peer the peer
     * @param team the team's graph
     * @param config the direction; empty for unidirectional
     * @return what moved
     * @throws SyncException if the sync failed
     */
    public SyncSummary syncNow(PeerAddress peer, GraphId team, Optional<SyncPeerConfig> config) throws SyncException {
        boolean bidirectional = config.map(SyncPeerConfig::bidirectional).orElse(false);
        try {
            SyncSummary summary = syncer.sync(peer, team, bidirectional);
            listener.synced(peer, team, summary);
            return summary;
        } catch (SyncException e) {
            listener.failed(peer, team, e);
            throw e;
        }
    }

    /** Stops every schedule; syncs already running finish on their own. */
    @Override
    public void close() {
        closed = true;
        tasks.values().forEach(PeerTask::cancel);
        tasks.clear();
    }

    /** One pair's schedule, run on its own virtual thread. */
    private final class PeerTask implements Runnable {
        private final PeerKey key;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private SyncPeerConfig config;
        /** System.nanoTime() when the next sync is due, or null when none is. */
        private Long due;
        private int failures;
        private boolean cancelled;

        PeerTask(PeerKey key, SyncPeerConfig config) {
            this.key = key;
            this.config = config;
            this.due = firstDue(config);
        }

        private Long firstDue(SyncPeerConfig c) {
            long now = System.nanoTime();
            return c.syncNow() ? Long.valueOf(now) : c.interval().map(i -> now + i.toNanos()).orElse(null);
        }

        SyncPeerConfig config() {
            lock.lock();
            try {
                return config;
            } finally {
                lock.unlock();
            }
        }

        void reconfigure(SyncPeerConfig c) {
            lock.lock();
            try {
                config = c;
                failures = 0;
                due = firstDue(c);
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        void cancel() {
            lock.lock();
            try {
                cancelled = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void run() {
            while (true) {
                SyncPeerConfig current;
                lock.lock();
                try {
                    while (!cancelled && (due == null || due - System.nanoTime() > 0)) {
                        if (due == null) {
                            changed.await();
                        } else {
                            changed.awaitNanos(due - System.nanoTime());
                        }
                    }
                    if (cancelled) {
                        return;
                    }
                    current = config;
                    due = null; // taken; the outcome sets the next one
                } catch (InterruptedException e) {
                    return;
                } finally {
                    lock.unlock();
                }
                boolean ok = runOnce(current);
                lock.lock();
                try {
                    if (config != current) {
                        continue; // reconfigured while syncing: the new schedule stands
                    }
                    failures = ok ? 0 : failures + 1;
                    Optional<Duration> next = ok ? current.interval() : Optional.of(retryDelay(current));
                    due = next.map(d -> System.nanoTime() + d.toNanos()).orElse(null);
                } finally {
                    lock.unlock();
                }
            }
        }

        private Duration retryDelay(SyncPeerConfig c) {
            Duration wait = backoff.after(failures);
            return c.interval().filter(i -> i.compareTo(wait) > 0).orElse(wait);
        }

        private boolean runOnce(SyncPeerConfig c) {
            try {
                SyncSummary summary = syncer.sync(key.peer(), key.team(), c.bidirectional());
                listener.synced(key.peer(), key.team(), summary);
                return true;
            } catch (SyncException e) {
                if (e.error() != SyncError.CANCELLED) { // cancelled: the scheduler's owner is closing
                    // The one log line of a failed scheduled sync: nobody else reports it (an
                    // on-demand sync throws to its caller instead).
                    LOG.log(Level.WARNING, "sync with {0} for team {1} failed ({2} in a row): {3}", key.peer(), key.team(), failures + 1,
                            e.getMessage());
                }
                listener.failed(key.peer(), key.team(), e);
                return false;
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "sync with " + key.peer() + " for team " + key.team() + " crashed", e);
                return false;
            }
        }
    }
}
