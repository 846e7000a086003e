package aranya.sync.protocol;

import aranya.sync.graph.Address;
import aranya.sync.graph.Graph;
import aranya.sync.wire.SyncHelloType;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.OptionalLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The publishing side of hello notifications (Aranya's hello subscriptions): which
 * subscriptions this node serves and when each should next announce its graph's head (the
 * graph's synthetic head, {@link Graph#syntheticHead()}, which stands for the whole head set in
 * the one address a hello carries, as in Aranya's core since its lazy merges). It does
 * no I/O; {@link SyncSession#serve} sends what {@link Subscription#next()} returns on the
 * subscriber's own stream.
 *
 * <p>Unlike Aranya, where the publisher dials the subscriber back, notifications flow on the
 * stream the subscriber opened (a long poll), so a node that cannot be dialed can subscribe.
 * A stream lives at most {@code maxStreamLifetime}, which must stay inside the transport's
 * idle timeout (the stream is quiet between hellos); the subscriber subscribes again for what is left of its duration.
 *
 * <p>Changes are debounced but never dropped: a change inside the debounce window is sent when
 * the window ends (Aranya skips it and leaves it to the periodic hello).
 */
public final class HelloPublisher implements AutoCloseable {
    /** Periodic hellos more frequent than this are slowed to it: a subscriber cannot make us spin. */
    static final Duration MIN_SCHEDULE_DELAY = Duration.ofMillis(100);

    private final int maxSubscriptions;
    private final Duration maxStreamLifetime;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private final Set<Subscription> open = new HashSet<>();
    private boolean closed;

    /**
     * A publisher with no subscriptions yet.
     *
     * @param maxSubscriptions how many subscriptions may be open at once, over all graphs and peers
     * @param maxStreamLifetime the longest one subscription stream is held open
     */
    public HelloPublisher(int maxSubscriptions, Duration maxStreamLifetime) {
        if (maxSubscriptions < 1) {
            throw new IllegalArgumentException("maxSubscriptions must be at least 1, got " + maxSubscriptions);
        }
        if (maxStreamLifetime.isNegative() || maxStreamLifetime.isZero()) {
            throw new IllegalArgumentException("maxStreamLifetime must be positive, got " + maxStreamLifetime);
        }
        this.maxSubscriptions = maxSubscriptions;
        this.maxStreamLifetime = maxStreamLifetime;
    }

    /** {@return how many subscriptions are open now} */
    public int active() {
        lock.lock();
        try {
            return open.size();
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to timeout for every subscription to end; returns whether they all did. */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
        long left = timeout.toNanos();
        lock.lock();
        try {
            while (!open.isEmpty()) {
                if (left <= 0) {
                    return false;
                }
                left = idle.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Opens a subscription to graph's head as request asks, or empty when too many are open or we are closed. */
    Optional<Subscription> subscribe(Graph graph, SyncHelloType.Subscribe request) {
        Subscription subscription = new Subscription(graph, request);
        lock.lock();
        try {
            if (closed || open.size() >= maxSubscriptions) {
                subscription.stopListening();
                return Optional.empty();
            }
            open.add(subscription);
            return Optional.of(subscription);
        } finally {
            lock.unlock();
        }
    }

    /** Ends every open subscription (each stream is finished by its serving thread) and refuses new ones. */
    @Override
    public void close() {
        List<Subscription> ending;
        lock.lock();
        try {
            closed = true;
            ending = List.copyOf(open);
        } finally {
            lock.unlock();
        }
        ending.forEach(Subscription::close);
    }

    private void release(Subscription subscription) {
        lock.lock();
        try {
            open.remove(subscription);
            idle.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** One open subscription: says when to send which head; close it when its stream ends. */
    final class Subscription implements AutoCloseable {
        private final Graph graph;
        private final long debounceNanos;
        /** 0: no periodic hellos. */
        private final long scheduleNanos;
        private final long endNanos;
        private final ReentrantLock changeLock = new ReentrantLock();
        private final Condition changed = changeLock.newCondition();
        private final AutoCloseable listener;
        private Address lastSent;
        private long lastSentNanos;
        private boolean closed;

        private Subscription(Graph graph, SyncHelloType.Subscribe request) {
            this.graph = graph;
            // The wire allows durations of 2^64 s; none of them matters past the stream's lifetime.
            long lifetime = maxStreamLifetime.toNanos();
            this.debounceNanos = Math.min(saturatedNanos(request.graphChangeDelay()), lifetime);
            Duration schedule = request.scheduleDelay();
            this.scheduleNanos = schedule.isZero() ? 0 : Math.max(Math.min(saturatedNanos(schedule), lifetime), MIN_SCHEDULE_DELAY.toNanos());
            long now = System.nanoTime();
            this.endNanos = now + Math.min(saturatedNanos(request.duration()), lifetime);
            this.lastSentNanos = now - debounceNanos; // the first head goes out at once
            this.listener = graph.onCommitted(batch -> wake());
        }

        /**
         * Blocks until a head is due (a change past the debounce window, or the periodic hello)
         * and returns it, or returns empty once the subscription's time on this stream is over.
         */
        Optional<Address> next() throws InterruptedException {
            changeLock.lock();
            try {
                while (!closed) {
                    long now = System.nanoTime();
                    if (now - endNanos >= 0) {
                        return Optional.empty();
                    }
                    Optional<Address> head = graph.syntheticHead();
                    OptionalLong due = OptionalLong.empty();
                    if (head.isPresent() && !head.get().equals(lastSent)) {
                        due = OptionalLong.of(lastSentNanos + debounceNanos);
                    }
                    if (head.isPresent() && scheduleNanos > 0) {
                        long periodic = lastSentNanos + scheduleNanos;
                        due = OptionalLong.of(due.isPresent() ? earlier(due.getAsLong(), periodic) : periodic);
                    }
                    if (due.isPresent() && now - due.getAsLong() >= 0) {
                        lastSent = head.get();
                        lastSentNanos = now;
                        return head;
                    }
                    long wakeNanos = due.isPresent() ? earlier(endNanos, due.getAsLong()) : endNanos;
                    changed.awaitNanos(wakeNanos - now);
                }
                return Optional.empty();
            } finally {
                changeLock.unlock();
            }
        }

        private void wake() {
            changeLock.lock();
            try {
                changed.signalAll();
            } finally {
                changeLock.unlock();
            }
        }

        /** Ends the subscription: a thread waiting in {@link #next()} returns empty; idempotent. */
        @Override
        public void close() {
            changeLock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                changed.signalAll();
            } finally {
                changeLock.unlock();
            }
            stopListening();
            release(this);
        }

        private void stopListening() {
            try {
                listener.close();
            } catch (Exception e) {
                throw new IllegalStateException(e); // the graph's handle only removes from a set
            }
        }
    }

    private static long earlier(long a, long b) {
        return a - b <= 0 ? a : b;
    }

    private static long saturatedNanos(Duration d) {
        return d.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : d.toNanos();
    }
}
