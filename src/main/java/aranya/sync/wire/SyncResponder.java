package aranya.sync.wire;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Command;
import aranya.sync.graph.Graph;
import java.util.ArrayList;
import java.util.List;

/**
 * The responding side of one sync session, without I/O (Aranya's {@code SyncResponder}).
 * On the request it snapshots every command the requester lacks (parents first); each
 * {@link #next()} then returns the following response, at most
 * {@link Limits#COMMAND_RESPONSE_MAX} commands and at most one message's bytes, resuming
 * exactly where the previous one stopped (Aranya core#752 dropped the rest of a segment
 * here), and finally a {@code SyncEnd}. A non-zero {@code maxBytes} in the request caps the
 * command bytes of the whole session (Aranya never enforced it, core#111); what is left over
 * is reported as {@code SyncEnd.remaining}.
 */
public final class SyncResponder {
    /**
     * Conservative bytes one command costs in a response besides its policy and payload: the
     * largest postcard {@code CommandMeta} (146 bytes: see MessageCodec).
     */
    static final int META_BYTES_MAX = 146;
    /** Envelope, response header and list length, rounded up. */
    static final int RESPONSE_OVERHEAD = 64;

    private final SessionId sessionId;
    private final List<Command> toSend;
    private final long maxBytes;
    private final int messageBytes;
    private int position;
    private long bytesSent;
    private long index;
    private boolean ended;

    /**
     * Starts a session for request against graph.
     *
     * @param messageBytes the largest message the transport carries
     * @param graph the graph to answer from
     * @param request the requester's sample
     * @throws SyncException STORAGE if the graph cannot be read
     */
    public SyncResponder(Graph graph, SyncRequestMessage.SyncRequest request, int messageBytes) throws SyncException {
        if (!request.graphId().equals(graph.id())) {
            throw new SyncException(SyncError.WRONG_GRAPH, "request for graph " + request.graphId() + " sent to graph " + graph.id());
        }
        this.sessionId = request.sessionId();
        this.maxBytes = request.maxBytes();
        this.messageBytes = messageBytes;
        this.toSend = graph.missing(request.commands());
    }

    /** {@return how many commands the requester lacked when the session started} */
    public int missingCount() {
        return toSend.size();
    }

    /** {@return whether the final message has been handed out} */
    public boolean ended() {
        return ended;
    }

    /**
     * {@return the next response, or the final {@code SyncEnd}}
     *
     * @throws SyncException STORAGE if a command cannot be read
     */
    public SyncResponseMessage next() throws SyncException {
        if (ended) {
            throw new IllegalStateException("session " + sessionId + " already ended");
        }
        List<Command> batch = new ArrayList<>();
        long messageUsed = RESPONSE_OVERHEAD;
        while (position < toSend.size() && batch.size() < Limits.COMMAND_RESPONSE_MAX) {
            Command c = toSend.get(position);
            long cost = META_BYTES_MAX + c.policy().length() + c.payload().length();
            if (messageUsed + cost > messageBytes) {
                if (batch.isEmpty()) {
                    throw new SyncException(SyncError.COMMAND_OVERFLOW, "command " + c.id() + " (" + cost
                            + " bytes) does not fit in a message of " + messageBytes + " bytes");
                }
                break;
            }
            if (maxBytes != 0 && Long.compareUnsigned(bytesSent + cost, maxBytes) > 0) {
                break;
            }
            batch.add(c);
            messageUsed += cost;
            bytesSent += cost;
            position++;
        }
        if (batch.isEmpty()) {
            ended = true;
            return new SyncResponseMessage.SyncEnd(sessionId, index, position < toSend.size());
        }
        return new SyncResponseMessage.SyncResponse(sessionId, index++, batch);
    }
}
