package aranya.sync.node;

import aranya.sync.SyncException;
import aranya.sync.graph.Address;
import aranya.sync.graph.GraphId;
import aranya.sync.peers.HelloSubscriptionConfig;
import aranya.sync.peers.PeerAddress;
import aranya.sync.peers.SyncScheduler;
import aranya.sync.protocol.MessageStream;
import aranya.sync.protocol.PeerCache;
import aranya.sync.protocol.SyncSession;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A subscription to one peer's hello notifications for one team, made with
 * {@link SyncNode#subscribeHello}. A virtual thread holds a subscription stream open to the
 * peer and subscribes again whenever the peer ends one (each stream lives within the peer's
 * idle timeout, quiet as it is between hellos) or it fails (after a backoff), until the subscription's duration is over
 * or it is closed. Every announced head is handed to the node, which syncs when it lacks it.
 */
public final class HelloSubscription implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HelloSubscription.class.getName());
    private static final Duration END_GRACE = Duration.ofSeconds(5);
    /** A subscription stream the peer ended sooner than this is followed by a backoff before the next. */
    private static final Duration SHORT_STREAM = Duration.ofSeconds(1);

    /** Where a subscription stands. */
    public enum State {
        /** Subscribed, or subscribing again. */
        ACTIVE,
        /** Its duration is over. */
        EXPIRED,
        /** Closed by the application or the node. */
        CLOSED
    }

    /** Opens a subscription stream to the peer whose session fails after the given idle timeout without progress. */
    @FunctionalInterface
    interface StreamOpener {
        MessageStream open(Duration deadline) throws SyncException;
    }

    private final PeerAddress peer;
    private final GraphId team;
    private final HelloSubscriptionConfig config;
    private final StreamOpener opener;
    private final Consumer<Address> onHello;
    private final SyncScheduler.Backoff backoff;
    private final Duration streamDeadline;
    private final int maxMessageBytes;
    private final long expiresNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Thread thread;
    private MessageStream current;
    private State state = State.ACTIVE;
    private long hellos;

    HelloSubscription(PeerAddress peer, GraphId team, HelloSubscriptionConfig config, StreamOpener opener,
            Consumer<Address> onHello, SyncScheduler.Backoff backoff, Duration streamDeadline, int maxMessageBytes) {
        this.peer = Objects.requireNonNull(peer, "peer");
        this.team = Objects.requireNonNull(team, "team");
        this.config = Objects.requireNonNull(config, "config");
        this.opener = opener;
        this.onHello = onHello;
        this.backoff = backoff;
        this.streamDeadline = streamDeadline;
        this.maxMessageBytes = maxMessageBytes;
        this.expiresNanos = System.nanoTime() + config.duration().toNanos();
        this.thread = Thread.ofVirtual().name("hello-" + peer + "-" + team.toHex().substring(0, 8)).start(this::run);
    }

    /** {@return the peer subscribed to} */
    public PeerAddress peer() {
        return peer;
    }

    /** {@return the team whose head it announces} */
    public GraphId team() {
        return team;
    }

    /** {@return the subscription's configuration} */
    public HelloSubscriptionConfig config() {
        return config;
    }

    /** {@return whether the subscription is active or has ended} */
    public State state() {
        lock.lock();
        try {
            return state;
        } finally {
            lock.unlock();
        }
    }

    /** {@return how many hello notifications have arrived so far} */
    public long hellosReceived() {
        lock.lock();
        try {
            return hellos;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits up to timeout for the subscription to end (expire or be closed); returns whether it has.
     *
     * @param timeout the longest wait
     * @return whether it has ended
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    public boolean awaitEnd(Duration timeout) throws InterruptedException {
        return thread.join(timeout);
    }

    private void run() {
        try {
            subscribeUntilEnded();
        } finally {
            end(State.CLOSED); // whatever stopped us, the handle must not say ACTIVE (no-op after EXPIRED or close())
        }
    }

    private void subscribeUntilEnded() {
        int failures = 0;
        while (state() == State.ACTIVE) {
            long left = expiresNanos - System.nanoTime();
            if (left <= 0) {
                end(State.EXPIRED);
                return;
            }
            Duration remaining = Duration.ofNanos(left);
            long started = System.nanoTime();
            // The peer ends the stream when the subscription expires; give its end time to arrive.
            try (MessageStream stream = opener.open(min(streamDeadline, remaining.plus(END_GRACE)))) {
                if (!track(stream)) {
                    return;
                }
                new SyncSession(stream, new PeerCache(), maxMessageBytes).subscribeHellos(team, config.graphChangeDelay(), remaining, config.scheduleDelay(), this::received);
                failures = 0;
                // A peer that ends each stream at once would have us redial without pause.
                if (System.nanoTime() - started < SHORT_STREAM.toNanos() && !pause(backoff.after(1))) {
                    return;
                }
            } catch (SyncException e) {
                if (state() != State.ACTIVE) {
                    return; // closed under us: the failure is our own doing
                }
                failures++;
                LOG.log(Level.INFO, "hello subscription to {0} for team {1} failed ({2} in a row): {3}", peer, team, failures, e.getMessage());
                if (!pause(backoff.after(failures))) {
                    return;
                }
            } finally {
                track(null);
            }
        }
    }

    private void received(Address head) {
        lock.lock();
        try {
            hellos++;
        } finally {
            lock.unlock();
        }
        // Runs on this subscription's thread: the stream waits while we sync, and the peer's
        // next hello carries its newest head anyway.
        try {
            onHello.accept(head);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "handling a hello from " + peer + " for team " + team + " failed", e);
        }
    }

    /** Makes stream the one close() aborts; false if the subscription has ended. */
    private boolean track(MessageStream stream) {
        lock.lock();
        try {
            current = stream;
            return state == State.ACTIVE;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits out a backoff (not past expiry); false if closed meanwhile. close() signals through
     * the state, so an interrupt (kwik can leave a stray one) is not a reason to stop.
     */
    private boolean pause(Duration wait) {
        long until = Math.min(System.nanoTime() + wait.toNanos(), expiresNanos);
        lock.lock();
        try {
            while (state == State.ACTIVE && until - System.nanoTime() > 0) {
                try {
                    changed.awaitNanos(until - System.nanoTime());
                } catch (InterruptedException e) {
                    // cleared by the throw; keep waiting on the state
                }
            }
            return state == State.ACTIVE;
        } finally {
            lock.unlock();
        }
    }

    private void end(State how) {
        lock.lock();
        try {
            if (state == State.ACTIVE) {
                state = how;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Stops subscribing: the open stream is aborted, and the peer drops us at its next send. */
    @Override
    public void close() {
        MessageStream open;
        lock.lock();
        try {
            if (state != State.ACTIVE) {
                return;
            }
            state = State.CLOSED;
            open = current;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (open != null) {
            open.close();
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
