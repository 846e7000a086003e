package aranya.sync.node;

import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.peers.PeerAddress;
import aranya.sync.protocol.SyncSummary;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How one sync session of a node ended, as told to the listeners registered with
 * {@link SyncNode#onSyncOutcome}: sessions this node requested ({@code syncNow},
 * {@code syncAsync}, scheduled, or after a hello) and sessions it served.
 */
public sealed interface SyncOutcome permits SyncOutcome.Succeeded, SyncOutcome.Failed {
    /** What started a session. */
    enum Trigger {
        /** {@link SyncNode#syncNow} or {@link SyncNode#syncAsync}. */
        ON_DEMAND,
        /** A peer's schedule ({@link SyncNode#addSyncPeer}). */
        SCHEDULED,
        /** A hello from a peer this node subscribed to ({@link SyncNode#subscribeHello}) named a head it lacked. */
        HELLO,
        /** A peer opened the session on this node's server. */
        SERVED
    }

    /**
     * What started the session.
     *
     * @return the trigger
     */
    Trigger trigger();

    /**
     * The peer: the address this node dialed, or for a served session the address the peer's
     * connection came from.
     *
     * @return the peer's address
     */
    PeerAddress peer();

    /**
     * The team synced; empty only for a served session that failed before its request named
     * one (or in which the peer asked nothing).
     *
     * @return the team, if known
     */
    Optional<GraphId> team();

    /**
     * How long the session took, from its start (connecting included) to its end.
     *
     * @return the session's duration
     */
    Duration duration();

    /**
     * A session that completed. A served hello subscription also ends as one, having moved
     * nothing.
     *
     * @param trigger what started it
     * @param peer the peer
     * @param team the team synced
     * @param duration how long it took
     * @param summary what it moved
     */
    record Succeeded(Trigger trigger, PeerAddress peer, Optional<GraphId> team, Duration duration, SyncSummary summary)
            implements SyncOutcome {
        /** Checks that nothing is null. */
        public Succeeded {
            Objects.requireNonNull(trigger, "trigger");
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(team, "team");
            Objects.requireNonNull(duration, "duration");
            Objects.requireNonNull(summary, "summary");
        }
    }

    /**
     * A session that failed; commands committed before the failure stay committed.
     *
     * @param trigger what started it
     * @param peer the peer
     * @param team the team, if the session got as far as naming it
     * @param duration how long it ran
     * @param error why it failed ({@link aranya.sync.SyncError#CANCELLED} if this side ended it)
     */
    record Failed(Trigger trigger, PeerAddress peer, Optional<GraphId> team, Duration duration, SyncException error)
            implements SyncOutcome {
        /** Checks that nothing is null. */
        public Failed {
            Objects.requireNonNull(trigger, "trigger");
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(team, "team");
            Objects.requireNonNull(duration, "duration");
            Objects.requireNonNull(error, "error");
        }
    }
}
