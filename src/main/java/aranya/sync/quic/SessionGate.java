package aranya.sync.quic;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How many streams a listener serves at once: at most {@code maxSessions} on the node, of
 * which at most {@code maxPerPeer} for one peer address and at most {@code maxPerTeam} for one
 * team. A stream over a limit waits, unread, for a slot (so the peer's data stays in kwik's
 * flow-control window, and the peer is held back by it) until its session deadline; waiting
 * streams are admitted in arrival order, skipping those whose own peer or team is still at its
 * limit, so one peer that opens thousands of streams delays another peer by at most the
 * streams the node admits in between, never by its whole queue.
 *
 * <p>A peer is a remote IP address: one member with many connections is one peer, and so are
 * several members behind one NAT address. A stream takes its node and peer slots before its
 * first frame is read and its team slot once that frame names the team.
 */
final class SessionGate {
    private final int maxSessions;
    private final int maxPerTeam;
    private final int maxPerPeer;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    private final Map<InetAddress, Integer> perPeer = new HashMap<>();
    private final Map<GraphId, Integer> perTeam = new HashMap<>();
    private int active;
    private int peak;

    SessionGate(int maxSessions, int maxPerTeam, int maxPerPeer) {
        this.maxSessions = maxSessions;
        this.maxPerTeam = maxPerTeam;
        this.maxPerPeer = maxPerPeer;
    }

    /**
     * Waits up to wait for a node slot and a slot of peer.
     *
     * @throws SyncException {@link SyncError#TIMEOUT} if none came free in time
     */
    Admission enter(InetAddress peer, Duration wait) throws SyncException {
        Admission admission = new Admission(Objects.requireNonNull(peer, "peer"));
        await(new Waiter(peer, null), wait, "a session slot for " + peer.getHostAddress());
        return admission;
    }

    /** Streams admitted now. */
    int active() {
        lock.lock();
        try {
            return active;
        } finally {
            lock.unlock();
        }
    }

    /** The most streams ever admitted at once. */
    int peak() {
        lock.lock();
        try {
            return peak;
        } finally {
            lock.unlock();
        }
    }

    private void await(Waiter waiter, Duration wait, String what) throws SyncException {
        lock.lock();
        try {
            waiting.add(waiter);
            admitWaiting();
            long nanos = wait.toNanos();
            while (!waiter.admitted) {
                if (nanos <= 0) {
                    waiting.remove(waiter);
                    throw new SyncException(SyncError.TIMEOUT, "the session deadline passed while waiting for " + what);
                }
                try {
                    nanos = waiter.wake.awaitNanos(nanos);
                } catch (InterruptedException e) {
                    // kwik can leave a stray interrupt on a serving thread; only the deadline ends this wait
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Admits, in arrival order, every waiting stream whose limits allow it. Holds the lock. */
    private void admitWaiting() {
        for (Iterator<Waiter> it = waiting.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            boolean fits = w.team == null
                    ? active < maxSessions && perPeer.getOrDefault(w.peer, 0) < maxPerPeer
                    : perTeam.getOrDefault(w.team, 0) < maxPerTeam;
            if (!fits) {
                continue;
            }
            if (w.team == null) {
                active++;
                peak = Math.max(peak, active);
                perPeer.merge(w.peer, 1, Integer::sum);
            } else {
                perTeam.merge(w.team, 1, Integer::sum);
            }
            w.admitted = true;
            w.wake.signal();
            it.remove();
        }
    }

    /** A stream waiting for a slot. */
    private final class Waiter {
        final InetAddress peer;
        /** The team whose slot it waits for, or null for its node and peer slots. */
        final GraphId team;
        final Condition wake = lock.newCondition();
        boolean admitted;

        Waiter(InetAddress peer, GraphId team) {
            this.peer = peer;
            this.team = team;
        }
    }

    /** The slots one stream holds; closing frees them. Used by the stream's own thread only. */
    final class Admission implements AutoCloseable {
        private final InetAddress peer;
        private GraphId team;
        private boolean closed;

        private Admission(InetAddress peer) {
            this.peer = peer;
        }

        /**
         * Waits up to wait for a slot of team, which the stream's first frame named.
         *
         * @throws SyncException {@link SyncError#TIMEOUT} if none came free in time
         */
        void joinTeam(GraphId team, Duration wait) throws SyncException {
            if (this.team != null) {
                throw new IllegalStateException("already in team " + this.team);
            }
            await(new Waiter(peer, Objects.requireNonNull(team, "team")), wait, "a session slot of team " + team);
            this.team = team;
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                active--;
                perPeer.computeIfPresent(peer, (p, n) -> n == 1 ? null : n - 1);
                if (team != null) {
                    perTeam.computeIfPresent(team, (t, n) -> n == 1 ? null : n - 1);
                }
                admitWaiting();
            } finally {
                lock.unlock();
            }
        }
    }
}
