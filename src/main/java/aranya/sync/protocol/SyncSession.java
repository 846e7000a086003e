package aranya.sync.protocol;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.AddResult;
import aranya.sync.graph.Address;
import aranya.sync.graph.Command;
import aranya.sync.graph.CommandId;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.Bytes;
import aranya.sync.wire.MessageCodec;
import aranya.sync.wire.ResponseEnvelope;
import aranya.sync.wire.SyncRequestMessage;
import aranya.sync.wire.SyncResponseMessage;
import aranya.sync.wire.SyncType;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The blocking sync exchange over one {@link MessageStream}, for both roles, written as the
 * design's pseudocode reads. One session delivers everything the responder had when it began
 * (several responses, then {@code SyncEnd}), so one call converges however far behind the
 * requester is, where Aranya needs one scheduled round per 100 commands.
 *
 * <pre>
 * client                                   server
 *   Poll{request, bidirectional} ------->
 *   (finish, if unidirectional)
 *                                <-------  Ok(SyncResponse)* Ok(SyncEnd)
 *                                <-------  Poll{request} (if bidirectional)
 *   Ok(SyncResponse)* Ok(SyncEnd) ------>
 *   finish                                 commit, then finish (or Err, then finish)
 * </pre>
 *
 * <p>In a unidirectional session the server finishes right after SyncEnd. In a bidirectional
 * one it keeps its send side open until it has committed the client's answer, unlike the
 * design's pseudocode (which finishes after its request): so the client's call returns only
 * once both directions are stored, and a refusal reaches the client as ClientResponseFailed.
 */
public final class SyncSession {
    private static final System.Logger LOG = System.getLogger(SyncSession.class.getName());
    /** Received commands are committed in batches of about this many (one fsync each). */
    static final int COMMIT_BATCH = 4096;
    /**
     * Or of about this many message bytes, whichever comes first: until committed, a peer's
     * commands are unverified bytes in our memory, and 4096 commands of up to 200 KiB would be
     * 800 MiB per session.
     */
    static final int COMMIT_BATCH_BYTES = 8 << 20;

    private final MessageStream stream;
    private final PeerCache cache;
    private final int maxMessageBytes;
    /** Message bytes this session has sent and received so far. */
    private long bytes;

    /**
     * @param maxMessageBytes the largest message the stream carries (responses are cut to fit)
     */
    public SyncSession(MessageStream stream, PeerCache cache, int maxMessageBytes) {
        this.stream = stream;
        this.cache = cache;
        this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * The client's side: pull what the server has that graph lacks and, if bidirectional,
     * then answer the server's request on the same stream.
     *
     * @throws SyncException on failure; in bidirectional mode a failure after our own pull
     *     has a {@link BidirectionalSyncException} as its cause, and the pull stays committed
     */
    public SyncSummary requestSync(Graph graph, boolean bidirectional) throws SyncException {
        return requestSync(graph, bidirectional, 0);
    }

    /**
     * As {@link #requestSync(Graph, boolean)}, asking the server to send at most maxBytes of
     * commands (0: no limit); {@link SyncSummary#remaining()} says whether it had more.
     */
    public SyncSummary requestSync(Graph graph, boolean bidirectional, long maxBytes) throws SyncException {
        SyncRequester requester = new SyncRequester(graph);
        send(MessageCodec.encode(new SyncType.Poll(requester.request(cache.heads(stream.peer(), graph.id()), maxBytes), bidirectional)));
        if (!bidirectional) {
            finish();
        }
        SyncSummary pulled = receiveResponses(graph, requester);
        int sent = 0;
        if (bidirectional) {
            SyncRequestMessage.SyncRequest theirs;
            try {
                theirs = expectRequest(receive().orElseThrow(() -> new SyncException(SyncError.UNEXPECTED_MESSAGE,
                        "the server finished without its request")));
            } catch (SyncException e) {
                throw bidirectionalFailure(new BidirectionalSyncException.ServerRequestFailed(e));
            }
            try {
                sent = respond(graph, theirs);
                finish();
                expectAccepted();
            } catch (SyncException e) {
                throw bidirectionalFailure(new BidirectionalSyncException.ClientResponseFailed(e));
            }
            return new SyncSummary(pulled.received(), pulled.added(), sent, pulled.remaining(), bytes);
        }
        expectEnd();
        return new SyncSummary(pulled.received(), pulled.added(), sent, pulled.remaining(), bytes);
    }

    /**
     * The server's side: answer the client's request and, if it asked for bidirectional
     * sync, send our own request and take the client's answer. Failures are reported to the
     * client in-band where possible, logged, and then thrown, so the server can record them.
     *
     * @param graphs the graphs this node serves
     * @param authorized whether the peer on this stream may sync that graph (team authentication)
     * @return what moved; all zero if the peer finished the stream without asking anything
     * @throws SyncException why the session failed or was refused; nothing of the failed
     *     batch is committed, and the stream is closed
     */
    public SyncSummary serve(Function<GraphId, Optional<Graph>> graphs, Predicate<GraphId> authorized) throws SyncException {
        Graph graph;
        SyncRequestMessage.SyncRequest request;
        boolean bidirectional;
        try {
            Optional<byte[]> first = receive();
            if (first.isEmpty()) {
                return new SyncSummary(0, 0, 0, false, bytes); // the peer opened a stream and finished it: nothing asked
            }
            SyncType type = MessageCodec.decodeSyncType(first.get(), 0, first.get().length);
            if (!(type instanceof SyncType.Poll(SyncRequestMessage.SyncRequest r, boolean bidi))) {
                throw new SyncException(SyncError.UNSUPPORTED_REQUEST, "this server serves poll sync requests only, got " + describe(type));
            }
            if (!authorized.test(r.graphId())) {
                throw new SyncException(SyncError.AUTH_FAILED, "peer " + stream.peer() + " is not authenticated for graph " + r.graphId());
            }
            graph = graphs.apply(r.graphId()).orElseThrow(() -> new SyncException(SyncError.NO_SUCH_GRAPH, "no graph " + r.graphId() + " here"));
            request = r;
            bidirectional = bidi;
        } catch (SyncException e) {
            refuse(e);
            throw e;
        }
        SyncSummary done;
        try {
            int sent = respond(graph, request);
            if (!bidirectional) {
                finish();
                done = new SyncSummary(0, 0, sent, false, bytes);
            } else {
                // Our send side stays open until the client's answer is committed: finishing then
                // tells the client its commands are stored (or an Err says why they were not).
                SyncRequester requester = new SyncRequester(graph);
                send(MessageCodec.encode(new SyncType.Poll(requester.request(cache.heads(stream.peer(), graph.id()), 0), false)));
                SyncSummary pulled = receiveResponses(graph, requester);
                finish();
                done = new SyncSummary(pulled.received(), pulled.added(), sent, false, bytes);
            }
        } catch (SyncException e) {
            LOG.log(Level.WARNING, "sync with {0} for graph {1} failed: {2}", stream.peer(), graph.id(), e.getMessage());
            try {
                send(MessageCodec.encode(new ResponseEnvelope.Err(e.getMessage())));
                finish();
            } catch (SyncException unreachable) {
                // The peer or the transport is gone; closing below is all that is left to do.
            }
            stream.close();
            throw e;
        }
        try {
            expectEnd();
        } catch (SyncException e) {
            // Everything was exchanged and stored; a client that hangs up without its FIN
            // (closing its connection at once, say) costs nothing (Aranya #411's close flakes).
            LOG.log(Level.DEBUG, "{0} ended the stream uncleanly after a complete exchange: {1}", stream.peer(), e.getMessage());
            stream.close();
        }
        return done;
    }

    /** Sends every response of a session for request, then SyncEnd; returns the commands sent. */
    private int respond(Graph graph, SyncRequestMessage.SyncRequest request) throws SyncException {
        SyncResponder responder = new SyncResponder(graph, request, maxMessageBytes);
        cache.update(stream.peer(), graph, request.commands().stream().filter(a -> graph.locate(a.id()).equals(Optional.of(a))).toList());
        int sent = 0;
        while (!responder.ended()) {
            SyncResponseMessage message = responder.next();
            if (message instanceof SyncResponseMessage.SyncResponse response) {
                sent += response.commands().size();
            }
            send(MessageCodec.encode(new ResponseEnvelope.Ok(Bytes.of(MessageCodec.encode(message)))));
        }
        return sent;
    }

    /** Reads responses until SyncEnd, committing their commands in batches. */
    private SyncSummary receiveResponses(Graph graph, SyncRequester requester) throws SyncException {
        List<Command> pending = new ArrayList<>();
        long pendingBytes = 0;
        int received = 0;
        int added = 0;
        while (true) {
            byte[] frame = receive().orElseThrow(() -> new SyncException(SyncError.UNEXPECTED_MESSAGE,
                    "the peer finished before ending session " + requester.sessionId()));
            SyncResponseMessage message = switch (MessageCodec.decodeResponseEnvelope(frame, 0, frame.length)) {
                case ResponseEnvelope.Err(String why) -> throw new SyncException(SyncError.PEER_ERROR, "peer " + stream.peer() + ": " + why);
                case ResponseEnvelope.Ok(Bytes payload) -> {
                    byte[] body = payload.toByteArray();
                    yield MessageCodec.decodeSyncResponse(body, 0, body.length);
                }
            };
            Optional<List<Command>> commands = requester.receive(message);
            if (commands.isPresent()) {
                pending.addAll(commands.get());
                pendingBytes += frame.length;
                received += commands.get().size();
            }
            if (commands.isEmpty() || pending.size() >= COMMIT_BATCH || pendingBytes >= COMMIT_BATCH_BYTES) {
                added += commit(graph, pending);
                pending.clear();
                pendingBytes = 0;
            }
            if (commands.isEmpty()) {
                return new SyncSummary(received, added, 0, requester.remaining(), bytes);
            }
        }
    }

    /** Adds a batch and tells the peer cache the peer holds its newest commands. */
    private int commit(Graph graph, List<Command> batch) throws SyncException {
        if (batch.isEmpty()) {
            return 0;
        }
        AddResult result = graph.addCommands(batch);
        Set<CommandId> parents = new HashSet<>();
        for (Command c : batch) {
            for (Address p : c.parent().addresses()) {
                parents.add(p.id());
            }
        }
        cache.update(stream.peer(), graph, batch.stream().filter(c -> !parents.contains(c.id())).map(Command::address).toList());
        return result.added();
    }

    private static SyncRequestMessage.SyncRequest expectRequest(byte[] frame) throws SyncException {
        SyncType type = MessageCodec.decodeSyncType(frame, 0, frame.length);
        if (type instanceof SyncType.Poll(SyncRequestMessage.SyncRequest request, boolean bidirectional) && !bidirectional) {
            return request;
        }
        throw new SyncException(SyncError.UNEXPECTED_MESSAGE, "expected the server's sync request, got " + describe(type));
    }

    private static String describe(SyncType type) {
        return switch (type) {
            case SyncType.Poll p -> "poll " + p.request().getClass().getSimpleName();
            case SyncType.Subscribe s -> "subscribe";
            case SyncType.Unsubscribe u -> "unsubscribe";
            case SyncType.Push p -> "push";
            case SyncType.Hello h -> "hello";
        };
    }

    /** Tells the client why we will not serve it, then ends the stream. */
    private void refuse(SyncException e) {
        LOG.log(Level.INFO, "refused sync from {0}: {1}", stream.peer(), e.getMessage());
        try {
            send(MessageCodec.encode(new ResponseEnvelope.Err(e.getMessage())));
            finish();
            expectEnd();
        } catch (SyncException secondary) {
            stream.close();
        }
    }

    /** After answering the server's request: its finish means our commands are committed; an Err says why not. */
    private void expectAccepted() throws SyncException {
        Optional<byte[]> reply = receive();
        if (reply.isEmpty()) {
            return;
        }
        if (MessageCodec.decodeResponseEnvelope(reply.get(), 0, reply.get().length) instanceof ResponseEnvelope.Err(String why)) {
            throw new SyncException(SyncError.PEER_ERROR, "peer " + stream.peer() + " did not accept our commands: " + why);
        }
        throw new SyncException(SyncError.UNEXPECTED_MESSAGE, "peer " + stream.peer() + " sent a message after the exchange ended");
    }

    private void expectEnd() throws SyncException {
        Optional<byte[]> extra = receive();
        if (extra.isPresent()) {
            throw new SyncException(SyncError.UNEXPECTED_MESSAGE, "peer " + stream.peer() + " sent a message after the exchange ended");
        }
    }

    private SyncException bidirectionalFailure(BidirectionalSyncException e) {
        stream.close();
        return new SyncException(e.failure().error(), e.getMessage(), e);
    }

    private void send(byte[] message) throws SyncException {
        try {
            stream.send(message);
            bytes += message.length;
        } catch (IOException e) {
            throw new SyncException(SyncError.TRANSPORT, "sending to " + stream.peer() + " failed: " + e.getMessage(), e);
        }
    }

    private Optional<byte[]> receive() throws SyncException {
        try {
            Optional<byte[]> message = stream.receive();
            message.ifPresent(m -> bytes += m.length);
            return message;
        } catch (IOException e) {
            throw new SyncException(SyncError.TRANSPORT, "receiving from " + stream.peer() + " failed: " + e.getMessage(), e);
        }
    }

    private void finish() throws SyncException {
        try {
            stream.finish();
        } catch (IOException e) {
            throw new SyncException(SyncError.TRANSPORT, "finishing the stream to " + stream.peer() + " failed: " + e.getMessage(), e);
        }
    }
}
