package aranya.sync.protocol;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Address;
import aranya.sync.graph.Command;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.Bytes;
import aranya.sync.wire.MessageCodec;
import aranya.sync.wire.ResponseEnvelope;
import aranya.sync.wire.SyncHelloType;
import aranya.sync.wire.SyncRequestMessage;
import aranya.sync.wire.SyncRequester;
import aranya.sync.wire.SyncResponder;
import aranya.sync.wire.SyncResponseMessage;
import aranya.sync.wire.SyncType;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The blocking sync exchange over one {@link MessageStream}, for both roles, written in the
 * order of the exchange below. One session delivers everything the responder had when it began
 * (several responses, then {@code SyncEnd}), so one call converges however far behind the
 * requester is, where Aranya needs one scheduled round per 100 commands.
 *
 * <pre>
 * client                                   server
 *   Poll{request, bidirectional} ------->
 *   (finish, if unidirectional)
 *                                &lt;-------  Ok(SyncResponse)* Ok(SyncEnd)
 *                                &lt;-------  Poll{request} (if bidirectional)
 *   Ok(SyncResponse)* Ok(SyncEnd) ------>
 *   finish                                 commit, then finish (or Err, then finish)
 * </pre>
 *
 * <p>In a unidirectional session the server finishes right after SyncEnd. In a bidirectional
 * one it keeps its send side open until it has committed the client's answer, unlike Aranya's
 * bidirectional-sync proposal (where the server finishes right after its request): so the client's call returns only
 * once both directions are stored, and a refusal reaches the client as ClientResponseFailed.
 */
public final class SyncSession {
    private static final System.Logger LOG = System.getLogger(SyncSession.class.getName());
    /**
     * Received commands are committed in batches of about this many (one fsync each), each
     * while the next is received.
     */
    static final int COMMIT_BATCH = 2048;
    /**
     * Or of about this many message bytes, whichever comes first: until committed, a peer's
     * commands are unverified bytes in our memory, and 2048 commands of up to 200 KiB would be
     * 400 MiB per session.
     */
    static final int COMMIT_BATCH_BYTES = 8 << 20;

    private final MessageStream stream;
    private final PeerCache cache;
    private final int maxMessageBytes;
    private final PeerDataBudget.Account budget;
    private final Duration budgetWait;
    /** Message bytes this session has sent and received so far. */
    private long bytes;
    /** Budget held for the last message received: released at the next receive, unless its commands went into a batch. */
    private long lastReceived;

    /**
     * A session that holds peer data without limit.
     *
     * @param maxMessageBytes the largest message the stream carries (responses are cut to fit)
     * @param stream the stream to the peer
     * @param cache what peers are known to hold
     */
    public SyncSession(MessageStream stream, PeerCache cache, int maxMessageBytes) {
        this(stream, cache, maxMessageBytes, PeerDataBudget.unlimited().account(stream.peer()), Duration.ofDays(1));
    }

    /**
     * A session whose peer data in flight counts against budget: before it reads a message it
     * reserves room for the largest one, keeps the message's bytes reserved until its commands
     * are committed (or until the next read), and reserves room for each response it builds
     * until that response is sent. It waits for room at most idleTimeout each time: a wait is
     * no progress, so the stream's own idle deadline would end the session by then anyway. The
     * caller closes budget after the session.
     *
     * @param maxMessageBytes the largest message the stream carries (responses are cut to fit)
     * @param idleTimeout how long the session may wait for its budget at a time (the stream's idle timeout)
     * @param stream the stream to the peer
     * @param cache what peers are known to hold
     * @param budget the account this session's peer data counts against
     */
    public SyncSession(MessageStream stream, PeerCache cache, int maxMessageBytes, PeerDataBudget.Account budget, Duration idleTimeout) {
        this.stream = stream;
        this.cache = cache;
        this.maxMessageBytes = maxMessageBytes;
        this.budget = budget;
        this.budgetWait = idleTimeout;
    }

    /**
     * The client's side: pull what the server has that graph lacks and, if bidirectional,
     * then answer the server's request on the same stream.
     *
     * @throws SyncException on failure; in bidirectional mode a failure after our own pull
     *     has a {@link BidirectionalSyncException} as its cause, and the pull stays committed
     * @param graph the graph to sync
     * @param bidirectional whether to answer the server's request afterwards
     * @return what moved in both directions
     */
    public SyncSummary requestSync(Graph graph, boolean bidirectional) throws SyncException {
        return requestSync(graph, bidirectional, 0);
    }

    /**
     * As {@link #requestSync(Graph, boolean)}, asking the server to send at most maxBytes of
     * commands (0: no limit); {@link SyncSummary#remaining()} says whether it had more.
     *
     * @param graph the graph to sync
     * @param bidirectional whether to answer the server's request afterwards
     * @param maxBytes the most command bytes the server may send, 0 for no limit
     * @return what moved in both directions
     * @throws SyncException as for {@link #requestSync(Graph, boolean)}
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
     * sync, send our own request and take the client's answer; or, if the client subscribes
     * to hello notifications, announce our head on this stream until the subscription's time
     * on it is over. Failures are reported to the client in-band where possible, logged, and
     * then thrown, so the server can record them.
     *
     * @param graphs the graphs this node serves
     * @param authorized whether the peer on this stream may sync that graph (team authentication)
     * @param hellos the hello subscriptions this node serves
     * @return what moved; all zero if the peer finished the stream without asking anything, or
     *     for a hello subscription
     * @throws SyncException why the session failed or was refused; nothing of the failed
     *     batch is committed, and the stream is ended (finished after an Err, or closed)
     */
    public SyncSummary serve(Function<GraphId, Optional<Graph>> graphs, Predicate<GraphId> authorized, HelloPublisher hellos)
            throws SyncException {
        long start = System.nanoTime();
        Graph graph;
        SyncRequestMessage.SyncRequest request;
        boolean bidirectional;
        try {
            Optional<byte[]> first = receive();
            if (first.isEmpty()) {
                return new SyncSummary(0, 0, 0, false, bytes); // the peer opened a stream and finished it: nothing asked
            }
            SyncType type = MessageCodec.decodeSyncType(first.get(), 0, first.get().length);
            if (type instanceof SyncType.Hello(SyncHelloType.Subscribe subscribe)) {
                publishHellos(servedGraph(subscribe.graphId(), graphs, authorized), subscribe, hellos);
                return new SyncSummary(0, 0, 0, false, bytes);
            }
            if (!(type instanceof SyncType.Poll(SyncRequestMessage.SyncRequest r, boolean bidi))) {
                throw new SyncException(SyncError.UNSUPPORTED_REQUEST,
                        "this server serves poll sync requests and hello subscriptions only, got " + describe(type));
            }
            graph = servedGraph(r.graphId(), graphs, authorized);
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
        LOG.log(Level.INFO, "served {0} team {1}: {2}, sent {3}, received {4} ({5} new), {6} bytes, {7} ms", stream.peer(), graph.id(),
                bidirectional ? "bidirectional" : "unidirectional", done.sent(), done.received(), done.added(), done.bytes(),
                (System.nanoTime() - start) / 1_000_000);
        return done;
    }

    private Graph servedGraph(GraphId id, Function<GraphId, Optional<Graph>> graphs, Predicate<GraphId> authorized) throws SyncException {
        if (!authorized.test(id)) {
            throw new SyncException(SyncError.AUTH_FAILED, "peer " + stream.peer() + " is not authenticated for graph " + id);
        }
        return graphs.apply(id).orElseThrow(() -> new SyncException(SyncError.NO_SUCH_GRAPH, "no graph " + id + " here"));
    }

    /**
     * Accepts a hello subscription with an empty Ok (as Aranya answers hello messages), then
     * sends {@code Hello{graph, head}} whenever the publisher says a head is due, and finishes
     * when the subscription's time on this stream is over. A subscriber that went away is
     * noticed at the next send.
     */
    private void publishHellos(Graph graph, SyncHelloType.Subscribe subscribe, HelloPublisher hellos) throws SyncException {
        Optional<HelloPublisher.Subscription> opened = hellos.subscribe(graph, subscribe);
        if (opened.isEmpty()) {
            throw new SyncException(SyncError.TOO_MANY_SUBSCRIPTIONS, "too many hello subscriptions here (or the node is closing); try again later");
        }
        try {
            try (HelloPublisher.Subscription subscription = opened.get()) {
                send(MessageCodec.encode(new ResponseEnvelope.Ok(Bytes.of(new byte[0]))));
                Optional<Address> head;
                while ((head = subscription.next()).isPresent()) {
                    send(MessageCodec.encode(new SyncType.Hello(new SyncHelloType.Hello(graph.id(), head.get()))));
                }
            }
            finish(); // after the slot is freed, so a subscriber that sees the end can count on it
        } catch (SyncException e) {
            LOG.log(Level.DEBUG, "hello subscription of {0} to graph {1} ended: {2}", stream.peer(), graph.id(), e.getMessage());
            stream.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stream.close();
        }
    }

    /**
     * The subscriber's side of hello notifications: subscribes to graph's head on this stream
     * and passes every announced head to onHello until the peer ends the subscription's time on
     * this stream (normal return). The caller subscribes again for what is left of its duration.
     *
     * @param graphChangeDelay the least time between two hellos caused by changes
     * @param duration how long the subscription lasts
     * @param scheduleDelay the interval of periodic hellos; zero for none
     * @throws SyncException a refusal (too many subscriptions, say) as PEER_ERROR, TIMEOUT at
     *     the stream's deadline, TRANSPORT when the stream is closed under us
     * @param graph the graph whose head to follow
     * @param onHello called with each announced head
     */
    public void subscribeHellos(GraphId graph, Duration graphChangeDelay, Duration duration, Duration scheduleDelay,
            Consumer<Address> onHello) throws SyncException {
        SyncHelloType.Subscribe subscribe = new SyncHelloType.Subscribe(graph, graphChangeDelay, duration, scheduleDelay);
        send(MessageCodec.encode(new SyncType.Hello(subscribe)));
        finish();
        byte[] accepted = receive().orElseThrow(() -> new SyncException(SyncError.UNEXPECTED_MESSAGE,
                "peer " + stream.peer() + " finished without answering the hello subscription"));
        if (MessageCodec.decodeResponseEnvelope(accepted, 0, accepted.length) instanceof ResponseEnvelope.Err(String why)) {
            throw new SyncException(SyncError.PEER_ERROR, "peer " + stream.peer() + " refused the hello subscription: " + why);
        }
        Optional<byte[]> frame;
        while ((frame = receive()).isPresent()) {
            SyncType type = MessageCodec.decodeSyncType(frame.get(), 0, frame.get().length);
            if (!(type instanceof SyncType.Hello(SyncHelloType.Hello(GraphId graphId, Address head))) || !graphId.equals(subscribe.graphId())) {
                throw new SyncException(SyncError.UNEXPECTED_MESSAGE, "expected a hello for graph " + subscribe.graphId() + " from " + stream.peer() + ", got " + describe(type));
            }
            onHello.accept(head);
        }
    }

    /** Sends every response of a session for request, then SyncEnd; returns the commands sent. */
    private int respond(Graph graph, SyncRequestMessage.SyncRequest request) throws SyncException {
        SyncResponder responder = new SyncResponder(graph, request, maxMessageBytes);
        cache.update(stream.peer(), graph, request.commands().stream().filter(a -> graph.locate(a.id()).equals(Optional.of(a))).toList());
        int sent = 0;
        long building = 2L * maxMessageBytes; // the message and its envelope, until kwik has taken the bytes
        while (!responder.ended()) {
            budget.reserve(building, budgetWait, () -> {});
            SyncResponseMessage message = responder.next();
            if (message instanceof SyncResponseMessage.SyncResponse response) {
                sent += response.commands().size();
            }
            send(MessageCodec.encode(new ResponseEnvelope.Ok(Bytes.of(MessageCodec.encode(message)))));
            budget.release(building);
        }
        return sent;
    }

    /**
     * Reads responses until SyncEnd, committing their commands in batches while it reads on;
     * returns once everything received is committed.
     */
    private SyncSummary receiveResponses(Graph graph, SyncRequester requester) throws SyncException {
        try (BatchCommitter committer = new BatchCommitter(graph, cache, stream.peer())) {
            Pending pending = new Pending(committer);
            int received = 0;
            try {
                while (true) {
                    // Waiting for budget with a batch in hand could wait for ourselves: it goes to the committer first.
                    byte[] frame = receive(pending::submit).orElseThrow(() -> new SyncException(SyncError.UNEXPECTED_MESSAGE,
                            "the peer finished before ending session " + requester.sessionId()));
                    SyncResponseMessage message = switch (MessageCodec.decodeResponseEnvelope(frame, 0, frame.length)) {
                        case ResponseEnvelope.Err(String why) -> throw new SyncException(SyncError.PEER_ERROR, "peer " + stream.peer() + ": " + why);
                        case ResponseEnvelope.Ok(Bytes payload) -> {
                            byte[] body = payload.toByteArray();
                            yield MessageCodec.decodeSyncResponse(body, 0, body.length);
                        }
                    };
                    Optional<List<Command>> commands = requester.receive(message);
                    if (commands.isEmpty()) {
                        pending.submit();
                        return new SyncSummary(received, committer.finish(), 0, requester.remaining(), bytes);
                    }
                    pending.add(commands.get(), lastReceived);
                    lastReceived = 0; // held with the batch until it is committed
                    received += commands.get().size();
                    if (pending.commands.size() >= COMMIT_BATCH || pending.bytes >= COMMIT_BATCH_BYTES) {
                        pending.submit();
                    }
                }
            } catch (SyncException e) {
                if (e.error() == SyncError.TIMEOUT || e.error() == SyncError.TRANSPORT) {
                    keepWhole(pending);
                }
                throw e;
            }
        }
    }

    /**
     * After the path failed mid-session (the peer went silent, the stream broke), commits the
     * commands of the messages that did arrive whole, as the batches before them: they are as
     * good as any, and a retry would only fetch them again. Nothing is kept once a batch failed,
     * nor after a peer sent something wrong: then the whole batch it was in is refused.
     */
    private static void keepWhole(Pending pending) {
        try {
            pending.submit(); // committed by the committer's close(), which then releases its budget
        } catch (SyncException batchFailed) {
            // An earlier batch was refused: nothing more of this peer's is stored, as submit() says.
        }
    }

    /** Received commands not yet handed to the committer, and the budget their messages hold. */
    private final class Pending {
        private final BatchCommitter committer;
        private List<Command> commands = new ArrayList<>();
        private long bytes;

        Pending(BatchCommitter committer) {
            this.committer = committer;
        }

        void add(List<Command> received, long messageBytes) {
            commands.addAll(received);
            bytes += messageBytes;
        }

        /** Hands the batch to the committer, which releases its budget once it is committed. */
        void submit() throws SyncException {
            long held = bytes;
            List<Command> batch = commands;
            commands = new ArrayList<>();
            bytes = 0;
            committer.submit(batch, () -> budget.release(held));
        }
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
        return receive(() -> {});
    }

    /**
     * The next message, read only once the budget has room for the largest one; the message's
     * own bytes stay reserved (as {@link #lastReceived}) and the rest is released.
     *
     * @param beforeWaiting what to hand over before waiting for budget
     */
    private Optional<byte[]> receive(PeerDataBudget.BeforeWaiting beforeWaiting) throws SyncException {
        budget.release(lastReceived);
        lastReceived = 0;
        budget.reserve(maxMessageBytes, budgetWait, beforeWaiting);
        Optional<byte[]> message;
        try {
            message = stream.receive();
        } catch (IOException e) {
            budget.release(maxMessageBytes);
            throw new SyncException(SyncError.TRANSPORT, "receiving from " + stream.peer() + " failed: " + e.getMessage(), e);
        } catch (SyncException e) {
            budget.release(maxMessageBytes);
            throw e;
        }
        lastReceived = Math.min(maxMessageBytes, message.map(m -> m.length).orElse(0));
        budget.release(maxMessageBytes - lastReceived);
        message.ifPresent(m -> bytes += m.length);
        return message;
    }

    private void finish() throws SyncException {
        try {
            stream.finish();
        } catch (IOException e) {
            throw new SyncException(SyncError.TRANSPORT, "finishing the stream to " + stream.peer() + " failed: " + e.getMessage(), e);
        }
    }
}
