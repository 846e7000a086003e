package aranya.sync.wire;

import aranya.sync.graph.Address;
import aranya.sync.graph.GraphId;
import java.util.List;
import java.util.Objects;

/**
 * A message from the requester of a sync session to the responder (Aranya's
 * {@code SyncRequestMessage}, aranya-core v0.22 {@code sync/requester.rs}). Every variant
 * carries the session id. Unsigned 64-bit fields are held in a {@code long} read as unsigned.
 */
public sealed interface SyncRequestMessage {
    /** The session this message belongs to. */
    SessionId sessionId();

    /**
     * Starts a session: "send me what I lack of this graph".
     *
     * @param sessionId a fresh random id that every message of the session repeats
     * @param graphId the graph to sync
     * @param maxBytes the most bytes of commands the requester wants; Aranya always sends 0
     *     and its responder ignores the value
     * @param commands a sample of the requester's graph, at most
     *     {@link Limits#COMMAND_SAMPLE_MAX}; the responder sends what is not an ancestor of it
     */
    record SyncRequest(SessionId sessionId, GraphId graphId, long maxBytes, List<Address> commands)
            implements SyncRequestMessage {
        public SyncRequest {
            Objects.requireNonNull(sessionId, "sessionId");
            Objects.requireNonNull(graphId, "graphId");
            commands = Limits.boundedCopy(commands, Limits.COMMAND_SAMPLE_MAX, "commands");
        }
    }

    /**
     * Asks again for responses that did not arrive. Defined by Aranya but never implemented
     * by its responder.
     *
     * @param sessionId the session
     * @param indexes the missing response indexes, at most {@link Limits#REQUEST_MISSING_MAX}
     */
    record RequestMissing(SessionId sessionId, List<Long> indexes) implements SyncRequestMessage {
        public RequestMissing {
            Objects.requireNonNull(sessionId, "sessionId");
            indexes = Limits.boundedCopy(indexes, Limits.REQUEST_MISSING_MAX, "indexes");
        }
    }

    /**
     * Asks the responder to continue after a gap. Defined by Aranya but never implemented by
     * its responder.
     *
     * @param sessionId the session
     * @param responseIndex the index of the last response received (unsigned)
     * @param maxBytes the most bytes of commands the requester wants (unsigned)
     */
    record SyncResume(SessionId sessionId, long responseIndex, long maxBytes) implements SyncRequestMessage {
        public SyncResume {
            Objects.requireNonNull(sessionId, "sessionId");
        }
    }

    /**
     * Ends the session from the requester's side.
     *
     * @param sessionId the session
     */
    record EndSession(SessionId sessionId) implements SyncRequestMessage {
        public EndSession {
            Objects.requireNonNull(sessionId, "sessionId");
        }
    }
}
