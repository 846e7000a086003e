package aranya.sync.protocol;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bytes of peer data that a node's sync sessions hold at once, over all sessions: frames
 * being read, received commands until their batch is committed, responses being built and
 * sent. A session reserves bytes before it reads or builds a message and waits while the node
 * or its peer is at its limit, so a peer that floods the node is slowed down by QUIC flow
 * control (we do not read what it sends) rather than held in our memory, and one peer cannot
 * take more than its share while others wait. Every wait is bounded by the session's idle
 * timeout (a wait is no progress, so its stream's deadline would end the session by then).
 *
 * <p>A reservation larger than a limit is granted once nothing else is held against that
 * limit, so an oversized configuration slows sessions down but never blocks one for good.
 */
public final class PeerDataBudget {
    private final long limit;
    private final long perPeerLimit;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private final Map<Object, Long> perPeer = new HashMap<>();
    private long held;
    private long peak;

    /**
     * A budget nothing holds yet.
     *
     * @param limit the most bytes all sessions may hold at once
     * @param perPeerLimit the most bytes the sessions of one peer may hold at once
     */
    public PeerDataBudget(long limit, long perPeerLimit) {
        if (limit < 1 || perPeerLimit < 1) {
            throw new IllegalArgumentException("limits must be >= 1, got " + limit + " and " + perPeerLimit);
        }
        this.limit = limit;
        this.perPeerLimit = perPeerLimit;
    }

    /**
     * {@return the budget of {@link NodeBudget#sessionBytes()}, with {@link NodeBudget#sessionBytesPerPeer()} for one peer}
     *
     * @param budget the node's limits
     */
    public static PeerDataBudget of(NodeBudget budget) {
        return new PeerDataBudget(budget.sessionBytes(), budget.sessionBytesPerPeer());
    }

    /** {@return a budget no session ever waits for: for tests and in-process peers} */
    public static PeerDataBudget unlimited() {
        return new PeerDataBudget(Long.MAX_VALUE, Long.MAX_VALUE);
    }

    /**
     * An account for one session with peer, whose reservations count against the node's limit
     * and peer's share.
     *
     * @param peer what identifies the peer for fairness, for example its IP address; equal
     *     keys share one share
     * @return the account; close it when the session ends
     */
    public Account account(Object peer) {
        return new Account(Objects.requireNonNull(peer, "peer"));
    }

    /** {@return the most bytes all sessions may hold at once} */
    public long limit() {
        return limit;
    }

    /** {@return bytes held now, over all sessions} */
    public long held() {
        lock.lock();
        try {
            return held;
        } finally {
            lock.unlock();
        }
    }

    /** {@return the most bytes ever held at once} */
    public long peak() {
        lock.lock();
        try {
            return peak;
        } finally {
            lock.unlock();
        }
    }

    /** What a session hands over before it waits for budget. */
    @FunctionalInterface
    public interface BeforeWaiting {
        /**
         * Hands over what the session can release.
         *
         * @throws SyncException if handing over fails (the reservation then fails with it)
         */
        void run() throws SyncException;
    }

    /** One session's reservations. Used by the session's threads only; closing releases what is left. */
    public final class Account implements AutoCloseable {
        private final Object peer;
        private long mine;

        private Account(Object peer) {
            this.peer = peer;
        }

        /**
         * Reserves bytes, waiting up to wait while the node or the peer is at its limit.
         *
         * @param beforeWaiting run once, before waiting, if the reservation cannot be granted
         *     at once (a session hands over what it can release, so that it never waits while
         *     holding bytes it could free)
         * @throws SyncException {@link SyncError#TIMEOUT} if the bytes did not come free in time
         * @param bytes how many bytes
         * @param wait the longest wait
         */
        public void reserve(long bytes, Duration wait, BeforeWaiting beforeWaiting) throws SyncException {
            if (bytes <= 0) {
                return;
            }
            lock.lock();
            try {
                if (!fits(bytes)) {
                    lock.unlock();
                    try {
                        beforeWaiting.run();
                    } finally {
                        lock.lock();
                    }
                }
                long nanos = wait.toNanos();
                while (!fits(bytes)) {
                    if (nanos <= 0) {
                        throw new SyncException(SyncError.TIMEOUT, "no room came within " + wait + " while waiting for " + bytes
                                + " bytes of the node's peer data budget (" + held + " of " + limit + " held)");
                    }
                    try {
                        nanos = released.awaitNanos(nanos);
                    } catch (InterruptedException e) {
                        // kwik can leave a stray interrupt on a session thread; only the deadline ends this wait
                    }
                }
                held += bytes;
                peak = Math.max(peak, held);
                mine += bytes;
                perPeer.merge(peer, bytes, Long::sum);
            } finally {
                lock.unlock();
            }
        }

        /**
         * Releases bytes this account holds.
         *
         * @param bytes how many bytes, at most what it holds
         */
        public void release(long bytes) {
            if (bytes <= 0) {
                return;
            }
            lock.lock();
            try {
                if (bytes > mine) {
                    throw new IllegalStateException("releasing " + bytes + " bytes, but the account holds " + mine);
                }
                mine -= bytes;
                held -= bytes;
                perPeer.computeIfPresent(peer, (p, n) -> n == bytes ? null : n - bytes);
                released.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** Releases everything this account still holds. */
        @Override
        public void close() {
            lock.lock();
            try {
                release(mine);
            } finally {
                lock.unlock();
            }
        }

        /** Holds the lock. */
        private boolean fits(long bytes) {
            long peers = perPeer.getOrDefault(peer, 0L);
            return (held == 0 || bytes <= limit - held) && (peers == 0 || bytes <= perPeerLimit - peers);
        }
    }
}
