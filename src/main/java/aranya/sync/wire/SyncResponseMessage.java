package aranya.sync.wire;

import aranya.sync.graph.Command;
import aranya.sync.graph.CommandId;
import java.util.List;
import java.util.Objects;

/**
 * A message from the responder of a sync session to the requester (Aranya's
 * {@code SyncResponseMessage}, aranya-core v0.22 {@code sync/responder.rs}). Every variant
 * carries the session id. Unsigned 64-bit fields are held in a {@code long} read as unsigned.
 */
public sealed interface SyncResponseMessage {
    /** The session this message belongs to. */
    SessionId sessionId();

    /**
     * A batch of commands the requester lacks, parents before children.
     *
     * @param sessionId the session
     * @param responseIndex the position of this response in the session, from 0 (unsigned);
     *     the requester checks that it grows by exactly one
     * @param commands the commands, at most {@link Limits#COMMAND_RESPONSE_MAX}
     */
    record SyncResponse(SessionId sessionId, long responseIndex, List<Command> commands)
            implements SyncResponseMessage {
        public SyncResponse {
            Objects.requireNonNull(sessionId, "sessionId");
            commands = Limits.boundedCopy(commands, Limits.COMMAND_RESPONSE_MAX, "commands");
        }
    }

    /**
     * The responder has nothing more to send in this session.
     *
     * @param sessionId the session
     * @param maxIndex the index this message would have had as a response, i.e. the number of
     *     responses sent before it (unsigned)
     * @param remaining whether commands were left unsent; Aranya always sends false
     */
    record SyncEnd(SessionId sessionId, long maxIndex, boolean remaining) implements SyncResponseMessage {
        public SyncEnd {
            Objects.requireNonNull(sessionId, "sessionId");
        }
    }

    /**
     * Announces the responder's head. Defined by Aranya but never sent.
     *
     * @param sessionId the session
     * @param head the id of the responder's head command
     */
    record Offer(SessionId sessionId, CommandId head) implements SyncResponseMessage {
        public Offer {
            Objects.requireNonNull(sessionId, "sessionId");
            Objects.requireNonNull(head, "head");
        }
    }

    /**
     * Ends the session from the responder's side.
     *
     * @param sessionId the session
     */
    record EndSession(SessionId sessionId) implements SyncResponseMessage {
        public EndSession {
            Objects.requireNonNull(sessionId, "sessionId");
        }
    }
}
