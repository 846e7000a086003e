package aranya.sync.wire;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Address;
import aranya.sync.graph.Command;
import aranya.sync.graph.Graph;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;

/**
 * The requesting side of one sync session, without I/O (Aranya's {@code SyncRequester}):
 * builds the request, then checks each response that comes back and hands out its commands.
 */
public final class SyncRequester {
    /** Where the session is. */
    enum State {
        /** The request has not been made yet. */
        NEW,
        /** The request went out; responses are expected. */
        WAITING,
        /** The responder said SyncEnd; nothing more is accepted. */
        DONE
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Graph graph;
    private final SessionId sessionId;
    private State state = State.NEW;
    private long nextIndex;
    private boolean remaining;

    /**
     * A requester for graph, with a fresh random session id.
     *
     * @param graph the graph to sync
     */
    public SyncRequester(Graph graph) {
        this.graph = graph;
        this.sessionId = SessionId.random(RANDOM);
    }

    /** {@return this session's id, sent in the request} */
    public SessionId sessionId() {
        return sessionId;
    }

    /**
     * The request: the peer's cached heads first, then this graph's sample, at most
     * {@link Limits#COMMAND_SAMPLE_MAX} addresses.
     *
     * @param maxBytes the most command bytes the responder may send in this session, 0 for no limit
     * @param peerHeads what the peer is known to hold ({@link PeerCache#heads})
     * @return the request message
     */
    public SyncRequestMessage.SyncRequest request(List<Address> peerHeads, long maxBytes) {
        if (state != State.NEW) {
            throw new IllegalStateException("a requester makes one request, it is " + state);
        }
        state = State.WAITING;
        return new SyncRequestMessage.SyncRequest(sessionId, graph.id(), maxBytes, graph.sample(peerHeads, Limits.COMMAND_SAMPLE_MAX));
    }

    /**
     * Checks one response. Returns its commands (possibly none) for a {@code SyncResponse},
     * empty for the final {@code SyncEnd}.
     *
     * @param message the response
     * @return its commands, or empty for {@code SyncEnd}
     * @throws SyncException MALFORMED or PEER_ERROR for a response out of order or from another session
     */
    public Optional<List<Command>> receive(SyncResponseMessage message) throws SyncException {
        if (state != State.WAITING) {
            throw new SyncException(SyncError.UNEXPECTED_MESSAGE, "response after the session " + sessionId + " ended");
        }
        if (!message.sessionId().equals(sessionId)) {
            throw new SyncException(SyncError.SESSION_MISMATCH, "response for session " + message.sessionId() + " in session " + sessionId);
        }
        switch (message) {
            case SyncResponseMessage.SyncResponse(SessionId s, long index, List<Command> commands) -> {
                if (index != nextIndex) {
                    throw new SyncException(SyncError.MISSING_SYNC_RESPONSE, "response " + Long.toUnsignedString(index)
                            + " where " + nextIndex + " was due");
                }
                nextIndex++;
                return Optional.of(commands);
            }
            case SyncResponseMessage.SyncEnd(SessionId s, long maxIndex, boolean more) -> {
                if (maxIndex != nextIndex) {
                    throw new SyncException(SyncError.MISSING_SYNC_RESPONSE, "session ended at index "
                            + Long.toUnsignedString(maxIndex) + " after " + nextIndex + " responses");
                }
                state = State.DONE;
                remaining = more;
                return Optional.empty();
            }
            case SyncResponseMessage.Offer o ->
                throw new SyncException(SyncError.UNEXPECTED_MESSAGE, "offer in the middle of session " + sessionId);
            case SyncResponseMessage.EndSession e ->
                throw new SyncException(SyncError.PEER_ERROR, "the responder ended session " + sessionId);
        }
    }

    /** {@return whether the responder ended the session with commands left over (its byte budget ran out)} */
    public boolean remaining() {
        return remaining;
    }

    State state() {
        return state;
    }
}
