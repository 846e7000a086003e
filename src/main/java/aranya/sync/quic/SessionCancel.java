package aranya.sync.quic;

import aranya.sync.SyncError;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Lets another thread end a sync session: {@link #cancel()} runs the session's abort action,
 * which resets its stream (a read or write blocked on it wakes within a millisecond; kwik
 * ignores thread interrupts there), and tells the session that its failure is a cancellation:
 * {@link SyncConnector#session} then fails with {@link SyncError#CANCELLED} and does not retry.
 * A session cancelled before its stream is open fails as soon as it has one; one still
 * connecting goes on until the connection is made or fails (at most the connect timeout).
 */
public final class SessionCancel {
    private final ReentrantLock lock = new ReentrantLock();
    private boolean cancelled;
    private Runnable abort;

    /** Cancels the session: runs its abort action, if it has one yet. Idempotent. */
    public void cancel() {
        Runnable action;
        lock.lock();
        try {
            if (cancelled) {
                return;
            }
            cancelled = true;
            action = abort;
        } finally {
            lock.unlock();
        }
        if (action != null) {
            action.run();
        }
    }

    /** Whether {@link #cancel()} was called. */
    public boolean isCancelled() {
        lock.lock();
        try {
            return cancelled;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes action what {@link #cancel()} runs to end the session (replacing the previous one),
     * or runs it at once if the session was cancelled already. The action must not block.
     */
    public void onCancel(Runnable action) {
        lock.lock();
        try {
            if (!cancelled) {
                abort = action;
                return;
            }
        } finally {
            lock.unlock();
        }
        action.run();
    }
}
