package aranya.sync.quic;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The watchdog of one session. kwik has no read timeout and ignores interrupts in reads, so
 * the only way to end a blocked call is to break what it waits on: when the deadline passes,
 * the timer runs the current expiry action (interrupt a thread waiting for stream credit,
 * or abort a stream). The action can be changed as the session moves from opening its stream
 * to using it; an action set after expiry is refused, so the caller handles that case itself.
 */
final class SessionDeadline implements AutoCloseable {
    private final TransportTimer timer;
    private final long deadlineNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final TransportTimer.Task watchdog;
    private Runnable onExpiry = () -> {};
    private boolean expired;
    private boolean closed;

    private SessionDeadline(TransportTimer timer, Duration budget) {
        this.timer = timer;
        this.deadlineNanos = System.nanoTime() + budget.toNanos();
        this.watchdog = timer.after(budget, this::expire);
    }

    /** A deadline budget from now. */
    static SessionDeadline start(TransportTimer timer, Duration budget) {
        return new SessionDeadline(timer, budget);
    }

    /** A deadline at most budget from now and no later than this one: for a step inside the session. */
    SessionDeadline narrowed(Duration budget) {
        return new SessionDeadline(timer, Duration.ofNanos(Math.min(budget.toNanos(), remainingNanos())));
    }

    /** Time left, never negative. */
    Duration remaining() {
        return Duration.ofNanos(remainingNanos());
    }

    /**
     * Makes action what expiry does from now on.
     *
     * @return false if the deadline has already passed (action is not run)
     */
    boolean onExpiry(Runnable action) {
        lock.lock();
        try {
            if (expired) {
                return false;
            }
            onExpiry = action;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the deadline passed while the session was open. */
    boolean expired() {
        lock.lock();
        try {
            return expired;
        } finally {
            lock.unlock();
        }
    }

    /** Runs task grace after now on the same timer, for the escalation step of an expiry. */
    void afterGrace(Duration grace, Runnable task) {
        timer.after(grace, task);
    }

    /** Disarms the watchdog: the session ended. Waits for an expiry action that is running. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
        } finally {
            lock.unlock();
        }
        watchdog.cancel();
    }

    /**
     * Runs the expiry action under the lock, so once {@link #close()} returns no action is
     * running or will run: the owner can then clear an interrupt the action delivered. Actions
     * only flag state and call kwik methods that do not block.
     */
    private void expire() {
        lock.lock();
        try {
            if (!closed) {
                expired = true;
                onExpiry.run();
            }
        } finally {
            lock.unlock();
        }
    }

    private long remainingNanos() {
        return Math.max(0, deadlineNanos - System.nanoTime());
    }

    @Override
    public String toString() {
        return "deadline in " + TimeUnit.NANOSECONDS.toMillis(remainingNanos()) + " ms";
    }
}
