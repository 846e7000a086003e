package aranya.sync.quic;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.protocol.NodeBudget;
import aranya.sync.wire.MessageCodec;
import aranya.sync.wire.SyncRequestMessage;
import aranya.sync.wire.SyncType;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.CertificateException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import tech.kwik.core.QuicConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ApplicationProtocolConnectionFactory;
import tech.kwik.core.server.ServerConnection;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

/**
 * The server side of the transport: one UDP port that accepts QUIC connections for ALPN
 * {@value #ALPN} and serves the streams peers open on them, each on a virtual thread of its
 * own.
 *
 * <p>A stream whose first frame is an auth frame ({@link AuthCodec}) runs the team
 * authentication exchange, which marks the connection authenticated for that team. Any other
 * stream is a sync stream: it is refused with {@link SyncError#AUTH_FAILED} while its
 * connection is authenticated for no team at all, and otherwise handed to the
 * {@link SyncStreamHandler}, which must check the team its request names. A client sends its
 * sync request right behind its proof, without waiting for our verdict (one round trip less),
 * so both checks first wait, for at most the auth timeout, until the exchanges in progress on
 * the connection have ended; nothing of a sync stream is read past its first frame, nor
 * answered, before then.
 *
 * <p>What peers can make the listener hold is bounded by the config's
 * {@link aranya.sync.protocol.NodeBudget}: a connection past the node's or its address's
 * connection limit is closed at once ({@link ConnectionLimits}), each connection's receive
 * windows are at most its share of the byte budget, and a stream waits, unread, for a
 * session slot of the node, its peer address and its team ({@link SessionGate}).
 *
 * <p>kwik's server calls {@code System.exit} when its socket fails; the listener's socket
 * ({@link GuardedDatagramSocket}) never lets it. Before kwik parses a datagram, the socket's
 * {@link HandshakeGate} decrypts and checks its Initial packets and caps the connections not
 * yet authenticated; a connection that has not authenticated for a team within the auth
 * timeout of its handshake is closed, so it stops holding kwik's threads and buffers.
 */
public final class SyncListener implements AutoCloseable {
    /** The ALPN protocol id of aranya-sync over QUIC, version 1. */
    public static final String ALPN = "aranya-sync/1";

    private static final System.Logger LOG = System.getLogger(SyncListener.class.getName());
    /** kwik's default connection id length, stated so the whole server configuration is explicit. */
    private static final int CONNECTION_ID_LENGTH = 8;

    private final TransportConfig config;
    private final SyncStreamHandler handler;
    private final TeamAuthResponder responder;
    private final GuardedDatagramSocket socket;
    private final HandshakeGate gate;
    private final TransportTimer timer;
    private final ServerConnector connector;
    private final NodeIdentity identity;
    private final ConnectionLimits connections;
    private final SessionGate sessions;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SyncListener(TransportConfig config, SyncStreamHandler handler, TeamAuthResponder responder,
            GuardedDatagramSocket socket, HandshakeGate gate, TransportTimer timer, NodeIdentity identity) throws IOException {
        this.config = config;
        this.handler = handler;
        this.responder = responder;
        this.socket = socket;
        this.gate = gate;
        this.timer = timer;
        this.identity = identity;
        NodeBudget budget = config.budget();
        this.connections = new ConnectionLimits(budget.maxConnections(), budget.maxConnectionsPerPeer());
        this.sessions = new SessionGate(budget.maxSessions(), budget.maxSessionsPerTeam(), budget.maxSessionsPerPeer());
        try {
            connector = ServerConnector.builder()
                    .withSocket(socket)
                    .withKeyStore(identity.keyStore(), NodeIdentity.KEY_ALIAS, NodeIdentity.keyStorePassword(), NodeIdentity.curveName())
                    .withConfiguration(serverConfig(config))
                    .withLogger(new KwikLog(SyncListener.class.getName() + ".kwik"))
                    .build();
        } catch (CertificateException e) {
            throw new IllegalStateException("kwik refused the node certificate", e);
        }
        connector.registerApplicationProtocol(ALPN, new ApplicationProtocolConnectionFactory() {
            @Override
            public ApplicationProtocolConnection createConnection(String protocol, QuicConnection connection) {
                return admit(connection);
            }

            @Override
            public int maxConcurrentPeerInitiatedUnidirectionalStreams() {
                return 0;
            }

            @Override
            public int maxConcurrentPeerInitiatedBidirectionalStreams() {
                return config.maxPeerStreams();
            }
        });
        connector.start();
    }

    /**
     * Starts listening.
     *
     * @param bindAddress where to listen, for example {@code 127.0.0.1} port 0 for any free port
     * @param identity this node's certificate and key
     * @param secrets the secrets of the teams this node serves
     * @param handler what serves each authenticated sync stream
     * @throws IOException if the address cannot be bound
     */
    public static SyncListener start(InetSocketAddress bindAddress, NodeIdentity identity, TeamSecrets secrets,
            SyncStreamHandler handler, TransportConfig config) throws IOException {
        Objects.requireNonNull(config, "config");
        return start(bindAddress, identity, secrets, handler, config, new HandshakeGate(config.connectionIdleTimeout()));
    }

    /** Starts listening behind gate, which a test may make fail. */
    static SyncListener start(InetSocketAddress bindAddress, NodeIdentity identity, TeamSecrets secrets,
            SyncStreamHandler handler, TransportConfig config, HandshakeGate gate) throws IOException {
        Objects.requireNonNull(bindAddress, "bindAddress");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(secrets, "secrets");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(config, "config");
        KwikDefaults.apply();
        GuardedDatagramSocket socket = new GuardedDatagramSocket(bindAddress, gate);
        TransportTimer timer = new TransportTimer("aranya-sync-listener-timer-" + socket.getLocalPort());
        TeamAuthResponder responder = new TeamAuthResponder(secrets,
                new FailedAuthLimiter(config.failedAuthLimit(), config.failedAuthWindow()), identity.certificateHash());
        try {
            return new SyncListener(config, handler, responder, socket, gate, timer, identity);
        } catch (IOException | RuntimeException e) {
            timer.close();
            socket.beginShutdown();
            socket.close();
            throw e;
        }
    }

    /** The address and port the listener is bound to. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** The identity whose certificate this listener presents. */
    public NodeIdentity identity() {
        return identity;
    }

    /** Timer kicks issued on this listener's streams (see StreamKicker), for diagnostics: one per stream per kick interval it lives. */
    public long kicksFired() {
        return timer.kicksFired();
    }

    /** The gate in front of kwik, for the tests that attack it. */
    HandshakeGate gate() {
        return gate;
    }

    /** The most streams this listener has served at once (its {@link SessionGate}'s peak), for tests. */
    int peakSessions() {
        return sessions.peak();
    }

    /** The socket, for the test that breaks it under a running listener. */
    GuardedDatagramSocket socket() {
        return socket;
    }

    /**
     * Closes every connection and the port. kwik waits for its connections to close (for at
     * most 30 s); streams still being served fail. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        socket.beginShutdown();
        connector.close();
        socket.close(); // kwik closes it too, unless its close failed half-way
        timer.close();
    }

    /** kwik's server settings from config. */
    static ServerConnectionConfig serverConfig(TransportConfig config) {
        // Every window is set: kwik's builder defaults them to 0, which it raises to only 5 KiB.
        // None is larger than a connection's share of the budget, which is all kwik may buffer for it unread.
        long share = Math.max(TransportConfig.MIN_WINDOW, config.budget().connectionWindow());
        return ServerConnectionConfig.builder()
                .maxIdleTimeout((int) config.connectionIdleTimeout().toMillis())
                .maxOpenPeerInitiatedBidirectionalStreams(config.maxPeerStreams())
                .maxOpenPeerInitiatedUnidirectionalStreams(0)
                .maxBidirectionalStreamBufferSize(Math.min(config.streamReceiveWindow(), share))
                .maxConnectionBufferSize(Math.min(config.connectionReceiveWindow(), share))
                .retryRequired(false)
                .connectionIdLength(CONNECTION_ID_LENGTH)
                .build();
    }

    /**
     * The connection as we serve it, or null once closed for passing a connection limit
     * (kwik lets the factory refuse a connection so, if it closes it itself).
     */
    private PeerConnection admit(QuicConnection quic) {
        InetAddress remote = ((ServerConnection) quic).getInitialRemoteAddress().getAddress();
        if (!connections.tryOpen(remote)) {
            LOG.log(Level.WARNING, "refused a connection from {0}: the node or that address holds as many connections as its budget allows",
                    remote.getHostAddress());
            quic.close(SyncError.TRANSPORT.code(), "too many connections");
            return null;
        }
        AtomicBoolean ended = new AtomicBoolean();
        quic.setConnectionListener(terminated -> {
            if (ended.compareAndSet(false, true)) {
                connections.closed(remote);
            }
        });
        return new PeerConnection(quic);
    }

    /** Serves one peer-opened stream, on its own virtual thread. */
    private void serve(PeerConnection connection, QuicStream quicStream) {
        QuicMessageStream stream;
        try {
            stream = QuicMessageStream.accept(quicStream, connection.quic, connection.peer, sessionDeadline(), config, timer);
        } catch (SyncException e) {
            return; // the deadline passed before we got to it; the stream is aborted already
        }
        try (stream; SessionGate.Admission admission = sessions.enter(connection.remote.getAddress(), stream.remaining())) {
            boolean narrowed = connection.teams.isEmpty();
            if (narrowed) {
                // A peer that has proved nothing yet gets the auth timeout to speak, not a whole session.
                stream.narrowDeadline(config.authTimeout());
            }
            Optional<byte[]> first = stream.receive();
            if (first.isEmpty()) {
                stream.finish(); // opened and finished at once: nothing asked, nothing to answer
                return;
            }
            if (AuthCodec.isAuthFrame(first.get())) {
                stream.narrowDeadline(config.authTimeout());
                connection.authStarted();
                try {
                    responder.respond(stream, first.get(), connection.remote.getAddress(), connection::proved);
                } finally {
                    connection.authEnded();
                }
                return;
            }
            if (!connection.awaitAnyTeam()) {
                LOG.log(Level.WARNING, "refused sync stream {0} from {1}: the connection has not authenticated for any team",
                        stream.streamId(), connection.peer);
                stream.abort(SyncError.AUTH_FAILED);
                return;
            }
            if (narrowed) {
                stream.restartDeadline(sessionDeadline()); // authenticated meanwhile: from here on a session like any other
            }
            admitSession(admission, first.get(), stream);
            stream.unread(first.get());
            handler.handle(stream, connection);
        } catch (SyncException e) {
            LOG.log(Level.DEBUG, "stream {0} from {1} failed: {2}", quicStream.getStreamId(), connection.peer, e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "the sync handler failed on stream " + quicStream.getStreamId() + " from " + connection.peer, e);
        }
    }

    private SessionDeadline sessionDeadline() {
        return SessionDeadline.start(timer, config.idleTimeout(), config.maxSessionTime());
    }

    /**
     * Takes the team slot of the Poll that opens a sync session. A hello subscription gives its
     * slots back instead: it holds no peer data, lasts long, and the node caps subscriptions on
     * its own. Any other message is the handler's to refuse.
     */
    private static void admitSession(SessionGate.Admission admission, byte[] first, QuicMessageStream stream) throws SyncException {
        SyncType type;
        try {
            type = MessageCodec.decodeSyncType(first, 0, first.length);
        } catch (SyncException e) {
            return;
        }
        switch (type) {
            case SyncType.Poll(SyncRequestMessage.SyncRequest request, boolean bidirectional) ->
                    admission.joinTeam(request.graphId(), stream.remaining());
            case SyncType.Hello hello -> admission.close();
            default -> {}
        }
    }

    /** One QUIC connection: where it comes from and which teams it has authenticated for. */
    private final class PeerConnection implements ApplicationProtocolConnection, ConnectionContext {
        private final QuicConnection quic;
        private final InetSocketAddress remote;
        private final String peer;
        private final Set<GraphId> teams = ConcurrentHashMap.newKeySet();
        private final ReentrantLock authLock = new ReentrantLock();
        private final Condition authDone = authLock.newCondition();
        private int authsInProgress;
        /** What the gate counts for this connection until it authenticates or is closed. */
        private final Optional<HandshakeGate.PendingConnection> pending;

        PeerConnection(QuicConnection quic) {
            this.quic = quic;
            // kwik hands every server connection over as a ServerConnection.
            this.remote = ((ServerConnection) quic).getInitialRemoteAddress();
            this.peer = SyncConnector.peerName(remote.getAddress().getHostAddress(), remote.getPort());
            this.pending = gate.established(remote);
            timer.after(config.authTimeout(), this::closeIfUnauthenticated);
        }

        /**
         * A peer that completed the handshake but proved no team within the auth timeout is
         * closed: until then kwik keeps its threads and buffers, and anyone can get that far.
         */
        private void closeIfUnauthenticated() {
            // Released first: once the peer sees the close, the gate no longer counts it.
            pending.ifPresent(gate::release);
            if (teams.isEmpty()) {
                LOG.log(Level.WARNING, "closing the connection from {0}: it did not authenticate for a team within {1}",
                        peer, config.authTimeout());
                quic.close(SyncError.AUTH_FAILED.code(), "no team authenticated in time");
            }
        }

        @Override
        public void acceptPeerInitiatedStream(QuicStream stream) {
            // Never block kwik's callback thread: each stream gets its own virtual thread.
            Thread.ofVirtual().name("aranya-sync-serve-" + peer + "-" + stream.getStreamId()).start(() -> serve(this, stream));
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return remote;
        }

        /**
         * Whether the peer proved it is in team, once the exchanges in progress on this
         * connection have ended (for at most the auth timeout): its request may have overtaken
         * the verdict on its proof.
         */
        @Override
        public boolean isAuthenticated(GraphId team) {
            return awaitAuthenticated(() -> teams.contains(team));
        }

        /** Whether the peer proved it is in some team, waiting as {@link #isAuthenticated} does. */
        boolean awaitAnyTeam() {
            return awaitAuthenticated(() -> !teams.isEmpty());
        }

        void authStarted() {
            authLock.lock();
            try {
                authsInProgress++;
            } finally {
                authLock.unlock();
            }
        }

        /** The peer proved it is in team: streams waiting for that go on at once, and the gate stops counting it. */
        void proved(GraphId team) {
            authLock.lock();
            try {
                teams.add(team);
                authDone.signalAll();
            } finally {
                authLock.unlock();
            }
            pending.ifPresent(gate::release);
        }

        void authEnded() {
            authLock.lock();
            try {
                authsInProgress--;
                authDone.signalAll();
            } finally {
                authLock.unlock();
            }
        }

        private boolean awaitAuthenticated(BooleanSupplier proved) {
            if (proved.getAsBoolean()) {
                return true;
            }
            long left = config.authTimeout().toNanos();
            authLock.lock();
            try {
                while (!proved.getAsBoolean() && authsInProgress > 0 && left > 0) {
                    left = authDone.awaitNanos(left);
                }
                return proved.getAsBoolean();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return proved.getAsBoolean();
            } finally {
                authLock.unlock();
            }
        }
    }
}
