package aranya.sync.quic;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.protocol.MessageStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import tech.kwik.core.QuicClientConnection;

/**
 * The client side of the transport: opens sync streams to peers, over one pooled QUIC
 * connection per peer ("host:port"). A pooled connection is reused while kwik reports it
 * connected and replaced once it is not (idle timeout, peer close, failure).
 *
 * <p>TLS accepts any server certificate ({@code noServerCertificateCheck}): peers are
 * authenticated by the team exchange ({@link TeamAuth}), which is bound to the certificate
 * this side saw. The exchange runs once per (connection, team); its result is cached with the
 * connection. kwik prints a "SECURITY WARNING" to stdout for that TLS setting unless the
 * system property {@value KwikDefaults#NO_SECURITY_WARNINGS} is true; the connector sets it
 * when unset ({@link KwikDefaults}).
 */
public final class SyncConnector implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SyncConnector.class.getName());

    private final TransportConfig config;
    private final TransportTimer timer = new TransportTimer("aranya-sync-connector-timer");
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    /** A connector with config; it opens no connection until {@link #openStream} needs one. */
    public SyncConnector(TransportConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * A fresh sync stream to the peer at host:port for team, with the session deadline
     * running from this call: connecting, authenticating and every later call on the stream
     * must finish within it. Connects and authenticates first unless a pooled connection
     * already did.
     *
     * @param teamSecret the team's 32-byte secret
     * @throws SyncException {@link SyncError#AUTH_FAILED} if the peer is not in the team (or a
     *     relay sits in between), {@link SyncError#TIMEOUT} past the deadline,
     *     {@link SyncError#TRANSPORT} if the peer cannot be reached
     */
    public MessageStream openStream(String host, int port, GraphId team, byte[] teamSecret) throws SyncException {
        return openStream(host, port, team, teamSecret, config.sessionDeadline());
    }

    /**
     * As {@link #openStream(String, int, GraphId, byte[])}, with the caller's deadline for this
     * session instead of the configured one.
     */
    public MessageStream openStream(String host, int port, GraphId team, byte[] teamSecret, Duration sessionDeadline)
            throws SyncException {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(team, "team");
        if (teamSecret.length != TeamAuth.SECRET_LENGTH) {
            throw new IllegalArgumentException("a team secret is " + TeamAuth.SECRET_LENGTH + " bytes, got " + teamSecret.length);
        }
        if (sessionDeadline.isNegative() || sessionDeadline.isZero()) {
            throw new IllegalArgumentException("sessionDeadline must be > 0, got " + sessionDeadline);
        }
        if (closed.get()) {
            throw new IllegalStateException("the connector is closed");
        }
        String peer = peerName(host, port);
        SessionDeadline deadline = SessionDeadline.start(timer, sessionDeadline);
        Slot slot = slots.computeIfAbsent(peer, p -> new Slot());
        PooledConnection connection = null;
        try {
            connection = slot.connection(host, port, peer, deadline);
            connection.authenticate(team, teamSecret, deadline);
            return QuicMessageStream.open(connection.quic, peer, deadline, config, timer);
        } catch (SyncException e) {
            deadline.close();
            if (connection != null) {
                slot.evictIfDead(connection);
            }
            throw e;
        }
    }

    /** SHA-256 of the certificate the pooled connection to host:port saw, if there is one. */
    public Optional<byte[]> serverCertificateHash(String host, int port) {
        Slot slot = slots.get(peerName(host, port));
        PooledConnection connection = slot == null ? null : slot.current;
        return connection == null ? Optional.empty() : Optional.of(connection.certificateHash.clone());
    }

    /** Timer kicks issued on this connector's streams (kwik-notes §6.1), for diagnostics: one per stream per kick interval it lives. */
    public long kicksFired() {
        return timer.kicksFired();
    }

    /** Closes every pooled connection; streams still open on them fail. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (Slot slot : slots.values()) {
            PooledConnection connection = slot.current;
            if (connection != null) {
                connection.quic.close();
            }
        }
        timer.close();
    }

    /** "host:port", with an IPv6 literal in brackets: the pool key and the streams' peer name. */
    static String peerName(String host, int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * An unconnected kwik client for host:port as this connector makes them: our ALPN, any
     * certificate accepted at the TLS level, windows from config, no streams from the server.
     */
    static QuicClientConnection kwikClient(String host, int port, TransportConfig config, Duration connectTimeout)
            throws IOException {
        KwikDefaults.apply();
        return QuicClientConnection.newBuilder()
                .host(host)
                .port(port)
                .applicationProtocol(SyncListener.ALPN)
                .connectTimeout(connectTimeout)
                .maxIdleTimeout(config.idleTimeout())
                // kwik sets the connection window to ten times this.
                .defaultStreamReceiveBufferSize(config.streamReceiveWindow())
                .maxOpenPeerInitiatedBidirectionalStreams(0)
                .maxOpenPeerInitiatedUnidirectionalStreams(0)
                .noServerCertificateCheck()
                .logger(new KwikLog(SyncConnector.class.getName() + ".kwik"))
                .build();
    }

    private SyncException timedOut(String what) {
        return new SyncException(SyncError.TIMEOUT, what + " passed the session deadline");
    }

    private static boolean tryLock(ReentrantLock lock, Duration timeout) throws SyncException {
        try {
            return lock.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SyncException(SyncError.TRANSPORT, "interrupted while waiting for a connection", e);
        }
    }

    /** The pool entry of one peer: its connection, and a lock so only one thread connects. */
    private final class Slot {
        private final ReentrantLock lock = new ReentrantLock();
        private volatile PooledConnection current;

        PooledConnection connection(String host, int port, String peer, SessionDeadline deadline) throws SyncException {
            PooledConnection connection = current;
            if (connection != null && connection.quic.isConnected()) {
                return connection;
            }
            if (!tryLock(lock, deadline.remaining())) {
                throw timedOut("waiting for the connection to " + peer);
            }
            try {
                connection = current;
                if (connection != null && connection.quic.isConnected()) {
                    return connection;
                }
                if (connection != null) {
                    connection.quic.close();
                    current = null;
                }
                connection = connect(host, port, peer, deadline);
                current = connection;
                // Published before checking, as close() sets the flag before reading current: one of us closes it.
                if (closed.get()) {
                    connection.quic.close();
                    throw new SyncException(SyncError.TRANSPORT, "the connector closed while connecting to " + peer);
                }
                return connection;
            } finally {
                lock.unlock();
            }
        }

        /** Drops connection from the pool if kwik no longer considers it connected. */
        void evictIfDead(PooledConnection connection) {
            if (!connection.quic.isConnected()) {
                lock.lock();
                try {
                    if (current == connection) {
                        current = null;
                    }
                } finally {
                    lock.unlock();
                }
                connection.quic.close();
            }
        }

        private PooledConnection connect(String host, int port, String peer, SessionDeadline deadline) throws SyncException {
            Duration timeout = min(config.connectTimeout(), deadline.remaining());
            if (timeout.toMillis() < 1) {
                throw timedOut("connecting to " + peer);
            }
            QuicClientConnection quic = null;
            try {
                quic = kwikClient(host, port, config, timeout);
                quic.connect();
                List<X509Certificate> chain = quic.getServerCertificateChain();
                if (chain == null || chain.isEmpty()) {
                    throw new SyncException(SyncError.TRANSPORT, peer + " presented no certificate");
                }
                LOG.log(Level.DEBUG, "connected to {0}", peer);
                return new PooledConnection(quic, peer, NodeIdentity.sha256(chain.get(0).getEncoded()));
            } catch (IOException | CertificateEncodingException e) {
                if (quic != null) {
                    quic.close();
                }
                throw new SyncException(SyncError.TRANSPORT, "connecting to " + peer + " failed: " + e.getMessage(), e);
            }
        }
    }

    /** A connection in the pool, with the teams it has authenticated for. */
    private final class PooledConnection {
        private final QuicClientConnection quic;
        private final String peer;
        private final byte[] certificateHash;
        private final ReentrantLock authLock = new ReentrantLock();
        private final Set<GraphId> authenticated = ConcurrentHashMap.newKeySet();

        PooledConnection(QuicClientConnection quic, String peer, byte[] certificateHash) {
            this.quic = quic;
            this.peer = peer;
            this.certificateHash = certificateHash;
        }

        /** Runs the team exchange on a stream of its own, unless this connection already did for team. */
        void authenticate(GraphId team, byte[] secret, SessionDeadline deadline) throws SyncException {
            if (authenticated.contains(team)) {
                return;
            }
            if (!tryLock(authLock, deadline.remaining())) {
                throw timedOut("waiting to authenticate to " + peer);
            }
            try {
                if (authenticated.contains(team)) {
                    return;
                }
                QuicMessageStream stream = QuicMessageStream.open(quic, peer, deadline.narrowed(config.authTimeout()), config, timer);
                try {
                    TeamAuth.authenticate(stream, team, secret, certificateHash);
                } catch (SyncException e) {
                    stream.abort(e.error());
                    LOG.log(Level.WARNING, "team authentication to {0} for team {1} failed: {2}", peer, team, e.getMessage());
                    throw e;
                } finally {
                    stream.close();
                }
                authenticated.add(team);
            } finally {
                authLock.unlock();
            }
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
