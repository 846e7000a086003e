package aranya.sync.wire;

import aranya.sync.graph.Address;
import aranya.sync.graph.GraphId;
import java.util.List;
import java.util.Objects;

/**
 * The first message on a sync stream, which says what the stream is for (Aranya's
 * {@code SyncType}, aranya-core v0.22 {@code sync/dispatcher.rs}, extended with the
 * bidirectional flag of the bidirectional-sync design). Unsigned 64-bit fields are held in a
 * {@code long} read as unsigned.
 */
public sealed interface SyncType {
    /**
     * A poll sync: the request of one session, answered at once by one response.
     *
     * <p>On the wire the request is followed by the requester's "address", which over QUIC is
     * Rust's unit type and so takes no bytes, and then by the flag. A v0.22 client sends no
     * flag; a message that ends right after the request decodes with {@code bidirectional}
     * false. A v0.22 server decodes with {@code postcard::from_bytes}, which ignores the flag
     * byte as trailing data.
     *
     * @param request the requester's first message, normally a
     *     {@link SyncRequestMessage.SyncRequest}
     * @param bidirectional whether, after its response, the server sends its own request on the
     *     same stream for the client to answer
     */
    record Poll(SyncRequestMessage request, boolean bidirectional) implements SyncType {
        public Poll {
            Objects.requireNonNull(request, "request");
        }
    }

    /**
     * Asks the peer to push new commands to us. Defined by Aranya; its daemon does not serve it.
     *
     * @param remainOpen how many seconds the subscription stays open (unsigned)
     * @param maxBytes the most bytes the peer may push (unsigned)
     * @param commands a sample of our graph, at most {@link Limits#COMMAND_SAMPLE_MAX}, telling
     *     the peer which commands we already have
     * @param graphId the graph
     */
    record Subscribe(long remainOpen, long maxBytes, List<Address> commands, GraphId graphId) implements SyncType {
        public Subscribe {
            commands = Limits.boundedCopy(commands, Limits.COMMAND_SAMPLE_MAX, "commands");
            Objects.requireNonNull(graphId, "graphId");
        }
    }

    /**
     * Cancels a push subscription. Defined by Aranya; its daemon does not serve it.
     *
     * @param graphId the graph
     */
    record Unsubscribe(GraphId graphId) implements SyncType {
        public Unsubscribe {
            Objects.requireNonNull(graphId, "graphId");
        }
    }

    /**
     * Commands pushed to a subscriber. Defined by Aranya; its daemon does not serve it.
     *
     * @param message the pushed response; the bodies of its commands follow the graph id on the
     *     wire, as they follow a plain response
     * @param graphId the graph
     */
    record Push(SyncResponseMessage message, GraphId graphId) implements SyncType {
        public Push {
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(graphId, "graphId");
        }
    }

    /**
     * A hello subscription or notification.
     *
     * @param hello what kind of hello, with its fields
     */
    record Hello(SyncHelloType hello) implements SyncType {
        public Hello {
            Objects.requireNonNull(hello, "hello");
        }
    }
}
