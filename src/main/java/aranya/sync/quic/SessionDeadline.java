package aranya.sync.quic;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The watchdog of one session. kwik has no read timeout and ignores interrupts in reads, so
 * the only way to end a blocked call is to break what it waits on: when the deadline passes,
 * the timer runs the current expiry action (interrupt a thread waiting for stream credit,
 * or abort a stream). The action can be changed as the session moves from opening its stream
 * to using it; an action set after expiry is refused, so the caller handles that case itself.
 *
 * <p>The deadline moves with progress: it passes when no {@link #progress()} was reported
 * for the idle timeout, or when the optional cap on the whole session passes, whichever
 * comes first. A session that keeps moving data therefore runs as long as it needs, and one
 * whose peer went silent ends one idle timeout after the last sign of life. A step that must
 * not be stretched (team authentication) gets a {@link #fixed} deadline instead, which
 * ignores progress.
 *
 * <p>One case needs more: a side that wrote its last message and now waits for the answer.
 * Its last bytes may still be leaving (up to kwik's 50 KiB send buffer plus a congestion
 * window), and the peer answers only after reading them; kwik tells no one when a stream's
 * data is acknowledged. So if the connection has sent stream data since the last progress
 * ({@link #watchSending}; kwik sends new data only as acknowledgements open its congestion
 * window), the deadline is extended once, by one more idle timeout. A peer that vanished with
 * our data in flight (kwik's retransmissions count as sending too) is therefore found within
 * at most twice the idle timeout, never later.
 */
final class SessionDeadline implements AutoCloseable {
    private final TransportTimer timer;
    /** Long.MAX_VALUE for a fixed deadline: progress does not move it. */
    private final long idleNanos;
    /** When the cap passes, as System.nanoTime(); Long.MAX_VALUE for none. */
    private final long capNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile long lastProgressNanos;
    private volatile LongSupplier dataBytesSent = () -> 0;
    private volatile long sentAtLastProgress;
    /** The lastProgressNanos the one extension was granted at; the extension lapses with the next progress. */
    private volatile long extendedAt = Long.MIN_VALUE;
    private TransportTimer.Task watchdog;
    private Runnable onExpiry = () -> {};
    private String reason = "";
    private boolean expired;
    private boolean closed;

    private SessionDeadline(TransportTimer timer, long idleNanos, long capNanos) {
        this.timer = timer;
        this.idleNanos = idleNanos;
        this.capNanos = capNanos;
        this.lastProgressNanos = System.nanoTime();
        lock.lock();
        try {
            watchdog = timer.after(Duration.ofNanos(remainingNanos()), this::check);
        } finally {
            lock.unlock();
        }
    }

    /**
     * A deadline that passes after idleTimeout without progress, or at maxSessionTime from
     * now if that is given and comes first.
     */
    static SessionDeadline start(TransportTimer timer, Duration idleTimeout, Optional<Duration> maxSessionTime) {
        long now = System.nanoTime();
        return new SessionDeadline(timer, idleTimeout.toNanos(), maxSessionTime.map(cap -> saturatedAdd(now, cap.toNanos())).orElse(Long.MAX_VALUE));
    }

    /** A deadline budget from now that progress does not move: for a step with a bound of its own. */
    static SessionDeadline fixed(TransportTimer timer, Duration budget) {
        return new SessionDeadline(timer, Long.MAX_VALUE, saturatedAdd(System.nanoTime(), budget.toNanos()));
    }

    /**
     * A fixed deadline at most budget from now and no later than this one would pass without
     * further progress: for a step inside the session (team authentication).
     */
    SessionDeadline narrowed(Duration budget) {
        return fixed(timer, Duration.ofNanos(Math.min(budget.toNanos(), remainingNanos())));
    }

    /** Records progress now: a whole message, or a large part of one, moved in either direction. */
    void progress() {
        sentAtLastProgress = dataBytesSent.getAsLong();
        lastProgressNanos = System.nanoTime();
    }

    /**
     * Tells the deadline how many stream data bytes the session's connection has sent so far,
     * for the one extension a side waiting on its own outgoing tail gets (see the class comment).
     */
    void watchSending(LongSupplier connectionDataBytesSent) {
        dataBytesSent = connectionDataBytesSent;
        sentAtLastProgress = connectionDataBytesSent.getAsLong();
    }

    /** Time left if no progress is made from now on, never negative. */
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

    /** Why the deadline passed ("no progress for 30 s", say), for error messages; empty before. */
    String reason() {
        lock.lock();
        try {
            return reason;
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
        TransportTimer.Task pending;
        lock.lock();
        try {
            closed = true;
            pending = watchdog;
        } finally {
            lock.unlock();
        }
        pending.cancel();
    }

    /**
     * Runs on the timer when the deadline might have passed: expires if it has, else waits
     * again until it could (progress moved it). The expiry action runs under the lock, so
     * once {@link #close()} returns no action is running or will run: the owner can then
     * clear an interrupt the action delivered. Actions only flag state and call kwik methods
     * that do not block.
     */
    private void check() {
        lock.lock();
        try {
            if (closed || expired) {
                return;
            }
            long left = remainingNanos();
            long since = lastProgressNanos;
            if (left <= 0 && !capPassed() && extendedAt != since && dataBytesSent.getAsLong() != sentAtLastProgress) {
                extendedAt = since; // our last data is still leaving: the answer waits for it (class comment)
                left = remainingNanos();
            }
            if (left > 0) {
                watchdog = timer.after(Duration.ofNanos(left), this::check);
                return;
            }
            expired = true;
            reason = capPassed() ? (idleNanos == Long.MAX_VALUE ? "ran out of time" : "reached the maximum session time")
                    : "made no progress for " + TimeUnit.NANOSECONDS.toMillis(idleNanos) + " ms (the idle timeout)";
            onExpiry.run();
        } finally {
            lock.unlock();
        }
    }

    private boolean capPassed() {
        return capNanos != Long.MAX_VALUE && System.nanoTime() - capNanos >= 0;
    }

    private long remainingNanos() {
        long now = System.nanoTime();
        long since = lastProgressNanos;
        long untilIdle = idleNanos == Long.MAX_VALUE ? Long.MAX_VALUE
                : since + (extendedAt == since ? 2 * idleNanos : idleNanos) - now;
        long untilCap = capNanos == Long.MAX_VALUE ? Long.MAX_VALUE : capNanos - now;
        return Math.max(0, Math.min(untilIdle, untilCap));
    }

    private static long saturatedAdd(long now, long nanos) {
        long sum = now + nanos;
        return ((now ^ sum) & (nanos ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    @Override
    public String toString() {
        return "deadline in " + TimeUnit.NANOSECONDS.toMillis(remainingNanos()) + " ms without progress";
    }
}
