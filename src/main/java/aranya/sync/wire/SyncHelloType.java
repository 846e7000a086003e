package aranya.sync.wire;

import aranya.sync.graph.Address;
import aranya.sync.graph.GraphId;
import java.time.Duration;
import java.util.Objects;

/**
 * A hello message (Aranya's {@code SyncHelloType}, aranya-core v0.22 {@code sync/dispatcher.rs}):
 * peers subscribe to each other's head announcements and sync when a head they do not have is
 * announced.
 */
public sealed interface SyncHelloType {
    /**
     * Asks the peer to send us hello notifications for a graph.
     *
     * @param graphId the graph
     * @param graphChangeDelay the least time between two notifications sent because the graph
     *     changed (rate limiting)
     * @param duration how long the subscription lasts
     * @param scheduleDelay the interval of notifications sent on a schedule, whether or not
     *     the graph changed
     */
    record Subscribe(GraphId graphId, Duration graphChangeDelay, Duration duration, Duration scheduleDelay)
            implements SyncHelloType {
        public Subscribe {
            Objects.requireNonNull(graphId, "graphId");
            requireNonNegative(graphChangeDelay, "graphChangeDelay");
            requireNonNegative(duration, "duration");
            requireNonNegative(scheduleDelay, "scheduleDelay");
        }
    }

    /**
     * Cancels a subscription made with {@link Subscribe}.
     *
     * @param graphId the graph
     */
    record Unsubscribe(GraphId graphId) implements SyncHelloType {
        public Unsubscribe {
            Objects.requireNonNull(graphId, "graphId");
        }
    }

    /**
     * A notification: the sender's head of a graph. A graph with several heads announces the
     * address of the merge its heads would fold into (its synthetic head, not a stored command);
     * the message layout is unchanged.
     *
     * @param graphId the graph
     * @param head the address of the sender's head command, or of its synthetic head
     */
    record Hello(GraphId graphId, Address head) implements SyncHelloType {
        public Hello {
            Objects.requireNonNull(graphId, "graphId");
            Objects.requireNonNull(head, "head");
        }
    }

    /** Rust's {@code Duration} is unsigned, so a negative one has no encoding. */
    private static void requireNonNegative(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, got " + duration);
        }
    }
}
