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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiPredicate;
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
 *
 * <p><b>NAT paths.</b> A pooled connection to a peer the caller wants kept alive (scheduled or
 * subscribed) sends QUIC PINGs every {@link TransportConfig#keepAliveInterval()}, so a NAT on
 * the way keeps its mapping between syncs; once the peer is no longer wanted the connection is
 * retired. kwik 0.10.8's server cannot follow a client whose address changed (it drops every
 * datagram from another address than the one the connection began with), so a NAT that
 * forgets the mapping or rebinds kills the connection without kwik noticing for a whole idle
 * timeout. A session on a reused connection therefore needs the peer's first message within
 * {@link TransportConfig#firstResponseTimeout()}; if it does not come, or the session fails
 * before anything came back, the connection is retired and {@link #session} runs the session
 * once more on a fresh connection before reporting failure.
 */
public final class SyncConnector implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SyncConnector.class.getName());

    private final TransportConfig config;
    private final BiPredicate<String, Integer> keepAlive;
    private final TransportTimer timer = new TransportTimer("aranya-sync-connector-timer");
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    /** Every connection not yet closed: pooled, and retired ones whose streams are still running. */
    private final Set<PooledConnection> open = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    /** A connector with config that keeps no connection alive between sessions; it opens none until it needs one. */
    public SyncConnector(TransportConfig config) {
        this(config, (host, port) -> false);
    }

    /**
     * A connector with config; it opens no connection until it needs one.
     *
     * @param keepAlive whether the pooled connection to host and port should be kept alive
     *     between sessions (asked when a session starts, and every keep-alive interval)
     */
    public SyncConnector(TransportConfig config, BiPredicate<String, Integer> keepAlive) {
        this.config = Objects.requireNonNull(config, "config");
        this.keepAlive = Objects.requireNonNull(keepAlive, "keepAlive");
        if (!config.keepAliveInterval().isZero()) {
            timer.every(config.keepAliveInterval(), this::retireUnwanted);
        }
    }

    /** The body of a session: what the caller does with the stream. */
    @FunctionalInterface
    public interface Session<T> {
        /** Runs the session on stream, which the connector closes afterwards. */
        T run(MessageStream stream) throws SyncException;
    }

    /**
     * Runs body on a fresh sync stream to the peer at host:port for team (see
     * {@link #openStream(String, int, GraphId, byte[])}), and closes the stream. If the
     * stream was on a reused pooled connection and the session fails with TIMEOUT or
     * TRANSPORT before the peer sent anything (a dead path: the first-response timeout), the
     * connection is retired and body runs once more on a fresh connection. Nothing can have
     * been committed on either side by then, so running it again is safe.
     */
    public <T> T session(String host, int port, GraphId team, byte[] teamSecret, Session<T> body) throws SyncException {
        return session(host, port, team, teamSecret, new SessionCancel(), body);
    }

    /**
     * As {@link #session(String, int, GraphId, byte[], Session)}, ended early by
     * {@link SessionCancel#cancel() cancel}: the stream is reset with {@link SyncError#CANCELLED}
     * and the session fails with that error, the failure it caused attached, without a retry.
     */
    public <T> T session(String host, int port, GraphId team, byte[] teamSecret, SessionCancel cancel, Session<T> body)
            throws SyncException {
        SyncException pathFailure = null; // the failure on a reused connection that sent us to a fresh one
        boolean unpipelinedTried = false;
        while (true) {
            if (cancel.isCancelled()) {
                throw cancelled(host, port, team, pathFailure);
            }
            Opened opened;
            try {
                opened = open(host, port, team, teamSecret, config.idleTimeout(), pathFailure != null);
            } catch (RetryFresh e) {
                pathFailure = e.failure;
                continue;
            } catch (SyncException e) {
                throw cancel.isCancelled() ? cancelled(host, port, team, e) : firstOf(pathFailure, e);
            }
            cancel.onCancel(() -> opened.stream().abort(SyncError.CANCELLED));
            try (QuicMessageStream stream = opened.stream()) {
                return body.run(stream);
            } catch (SyncException e) {
                if (cancel.isCancelled()) {
                    throw cancelled(host, port, team, e);
                }
                SyncException refused = opened.refusal().orElse(null);
                if (refused != null) {
                    throw refused;
                }
                if (opened.stream().receivedAnything()) {
                    throw e;
                }
                if (opened.verdict().isPresent() && !unpipelinedTried) {
                    // Accepted, yet the session that went out with our proof failed unanswered: a peer
                    // older than pipelining refuses a sync stream that overtakes the verdict. Once more, in turn.
                    LOG.log(Level.DEBUG, "the session sent with our proof to {0} failed ({1}); again after the verdict",
                            opened.connection().peer, e.getMessage());
                    unpipelinedTried = true;
                    continue;
                }
                if (opened.reused() && pathFailure == null && pathFailure(e)) {
                    LOG.log(Level.INFO, "a session to {0} on a reused connection failed before any answer ({1}); retrying on a fresh connection",
                            opened.connection().peer, e.getMessage());
                    opened.connection().retire();
                    pathFailure = e;
                    continue;
                }
                throw firstOf(pathFailure, e);
            }
        }
    }

    private static SyncException cancelled(String host, int port, GraphId team, SyncException cause) {
        return new SyncException(SyncError.CANCELLED, "the sync of team " + team + " with " + peerName(host, port)
                + " was cancelled; its stream was reset", cause);
    }

    /** The failure that sent us to a fresh connection, if any, with the fresh attempt's failure attached; else failure. */
    private static SyncException firstOf(SyncException pathFailure, SyncException failure) {
        if (pathFailure == null) {
            return failure;
        }
        pathFailure.addSuppressed(failure);
        return pathFailure;
    }

    /**
     * A fresh sync stream to the peer at host:port for team, whose session fails with TIMEOUT
     * after the configured idle timeout without progress (or at the configured maximum session
     * time). Connects (bounded by the connect timeout) and authenticates (bounded by the auth
     * timeout) first unless a pooled connection already did. No retry: see {@link #session}.
     *
     * @param teamSecret the team's 32-byte secret
     * @throws SyncException {@link SyncError#AUTH_FAILED} if the peer is not in the team (or a
     *     relay sits in between), {@link SyncError#TIMEOUT} if a bound passed,
     *     {@link SyncError#TRANSPORT} if the peer cannot be reached
     */
    public MessageStream openStream(String host, int port, GraphId team, byte[] teamSecret) throws SyncException {
        return openStream(host, port, team, teamSecret, config.idleTimeout());
    }

    /**
     * As {@link #openStream(String, int, GraphId, byte[])}, with the caller's idle timeout for
     * this session instead of the configured one.
     */
    public MessageStream openStream(String host, int port, GraphId team, byte[] teamSecret, Duration idleTimeout)
            throws SyncException {
        try {
            return open(host, port, team, teamSecret, idleTimeout, true).stream();
        } catch (RetryFresh e) {
            throw e.failure;
        }
    }

    /** SHA-256 of the certificate the pooled connection to host:port saw, if there is one. */
    public Optional<byte[]> serverCertificateHash(String host, int port) {
        Slot slot = slots.get(peerName(host, port));
        PooledConnection connection = slot == null ? null : slot.current;
        return connection == null ? Optional.empty() : Optional.of(connection.certificateHash.clone());
    }

    /** Timer kicks issued on this connector's streams (see StreamKicker), for diagnostics: one per stream per kick interval it lives. */
    public long kicksFired() {
        return timer.kicksFired();
    }

    /** Closes every connection; streams still open on them fail. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (PooledConnection connection : open) {
            connection.quic.close();
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
                .maxIdleTimeout(config.clientConnectionIdleTimeout())
                // kwik sets the connection window to ten times this.
                .defaultStreamReceiveBufferSize(config.streamReceiveWindow())
                .maxOpenPeerInitiatedBidirectionalStreams(0)
                .maxOpenPeerInitiatedUnidirectionalStreams(0)
                .noServerCertificateCheck()
                .logger(new KwikLog(SyncConnector.class.getName() + ".kwik"))
                .build();
    }

    /**
     * A stream, the connection it runs on, whether that connection was reused from the pool,
     * and the verdict on the team authentication the stream went out with, if it did not wait
     * for it.
     */
    private record Opened(QuicMessageStream stream, PooledConnection connection, boolean reused,
            Optional<CompletableFuture<Void>> verdict) {

        /** The refusal of our proof, if the verdict (awaited for at most the auth timeout) was one. */
        Optional<SyncException> refusal() {
            if (verdict.isEmpty()) {
                return Optional.empty();
            }
            try {
                verdict.get().get(connection.authTimeout().toNanos(), TimeUnit.NANOSECONDS);
                return Optional.empty();
            } catch (ExecutionException e) {
                return e.getCause() instanceof SyncException s && s.error() == SyncError.AUTH_FAILED ? Optional.of(s) : Optional.empty();
            } catch (TimeoutException e) {
                return Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
    }

    /** Thrown by open() when a reused connection's path failed before the session began: try a fresh one. */
    private static final class RetryFresh extends Exception {
        private static final long serialVersionUID = 1L;
        private final SyncException failure;

        RetryFresh(SyncException failure) {
            super(failure.getMessage(), failure, false, false);
            this.failure = failure;
        }
    }

    private Opened open(String host, int port, GraphId team, byte[] teamSecret, Duration idleTimeout, boolean retried)
            throws SyncException, RetryFresh {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(team, "team");
        if (teamSecret.length != TeamAuth.SECRET_LENGTH) {
            throw new IllegalArgumentException("a team secret is " + TeamAuth.SECRET_LENGTH + " bytes, got " + teamSecret.length);
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be > 0, got " + idleTimeout);
        }
        if (closed.get()) {
            throw new IllegalStateException("the connector is closed");
        }
        String peer = peerName(host, port);
        long started = System.nanoTime();
        Slot slot = slots.computeIfAbsent(peer, p -> new Slot());
        PooledConnection connection = null;
        boolean reused = false;
        try {
            // Connecting and authenticating have bounds of their own; the session's idle timeout starts after them.
            connection = slot.connection(host, port, peer);
            reused = connection.used;
            connection.used = true;
            if (keepAlive.test(host, port)) {
                connection.keepAlive();
            }
            Optional<CompletableFuture<Void>> verdict = connection.authenticate(team, teamSecret);
            Optional<Duration> capLeft = config.maxSessionTime().map(cap -> cap.minusNanos(System.nanoTime() - started));
            if (capLeft.isPresent() && (capLeft.get().isNegative() || capLeft.get().isZero())) {
                throw timedOut("connecting and authenticating to " + peer + " took the whole maximum session time; the session");
            }
            SessionDeadline deadline = SessionDeadline.start(timer, idleTimeout, capLeft);
            QuicMessageStream stream = QuicMessageStream.open(connection.quic, peer, deadline, config, timer);
            connection.track(stream);
            if (reused) {
                stream.expectFirstResponseWithin(config.firstResponseTimeout());
            }
            return new Opened(stream, connection, reused, verdict);
        } catch (SyncException e) {
            if (connection != null) {
                if (reused && !retried && pathFailure(e)) {
                    LOG.log(Level.INFO, "reusing the connection to {0} failed ({1}); retrying on a fresh connection", peer, e.getMessage());
                    connection.retire();
                    throw new RetryFresh(e);
                }
                slot.evictIfDead(connection);
            }
            throw e;
        }
    }

    /** A failure a dead or changed path explains: nothing answered, or the connection broke. */
    private static boolean pathFailure(SyncException e) {
        return e.error() == SyncError.TIMEOUT || e.error() == SyncError.TRANSPORT;
    }

    /** Runs every keep-alive interval: retires kept-alive connections to peers no longer wanted. */
    private void retireUnwanted() {
        for (Slot slot : slots.values()) {
            PooledConnection connection = slot.current;
            if (connection != null && connection.keptAlive && !keepAlive.test(connection.host, connection.port)) {
                connection.retire();
            }
        }
    }

    private SyncException timedOut(String what) {
        return new SyncException(SyncError.TIMEOUT, what + " timed out");
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

        PooledConnection connection(String host, int port, String peer) throws SyncException {
            PooledConnection connection = current;
            if (connection != null && connection.usable()) {
                return connection;
            }
            if (!tryLock(lock, config.connectTimeout())) {
                throw timedOut("waiting for the connection to " + peer);
            }
            try {
                connection = current;
                if (connection != null && connection.usable()) {
                    return connection;
                }
                if (connection != null) {
                    connection.retire();
                }
                connection = connect(host, port, peer);
                current = connection;
                open.add(connection);
                // Published before checking, as close() sets the flag before reading open: one of us closes it.
                if (closed.get()) {
                    connection.quic.close();
                    throw new SyncException(SyncError.TRANSPORT, "the connector closed while connecting to " + peer);
                }
                return connection;
            } finally {
                lock.unlock();
            }
        }

        /** Retires connection if kwik no longer considers it connected. */
        void evictIfDead(PooledConnection connection) {
            if (!connection.quic.isConnected()) {
                connection.retire();
            }
        }

        /** Takes connection out of the pool, if it is still there. */
        void remove(PooledConnection connection) {
            lock.lock();
            try {
                if (current == connection) {
                    current = null;
                }
            } finally {
                lock.unlock();
            }
        }

        private PooledConnection connect(String host, int port, String peer) throws SyncException {
            QuicClientConnection quic = null;
            try {
                quic = kwikClient(host, port, config, config.connectTimeout());
                quic.connect();
                List<X509Certificate> chain = quic.getServerCertificateChain();
                if (chain == null || chain.isEmpty()) {
                    throw new SyncException(SyncError.TRANSPORT, peer + " presented no certificate");
                }
                LOG.log(Level.DEBUG, "connected to {0}", peer);
                return new PooledConnection(this, quic, host, port, peer, NodeIdentity.sha256(chain.get(0).getEncoded()));
            } catch (IOException | CertificateEncodingException e) {
                if (quic != null) {
                    quic.close();
                }
                throw new SyncException(SyncError.TRANSPORT, "connecting to " + peer + " failed: " + e.getMessage(), e);
            }
        }
    }

    /**
     * A connection in the pool, with the teams it has authenticated for and the sessions
     * running on it. A retired connection takes no new sessions and closes once its last
     * session has.
     */
    private final class PooledConnection {
        private final Slot slot;
        private final QuicClientConnection quic;
        private final String host;
        private final int port;
        private final String peer;
        private final byte[] certificateHash;
        private final ReentrantLock authLock = new ReentrantLock();
        private final Set<GraphId> authenticated = ConcurrentHashMap.newKeySet();
        private final Map<GraphId, CompletableFuture<Void>> verdicts = new ConcurrentHashMap<>();
        private final AtomicInteger sessions = new AtomicInteger();
        private volatile boolean retired;
        private volatile boolean keptAlive;
        /** Whether a session has run on it: the first session on a new connection is not a reuse. */
        private volatile boolean used;

        PooledConnection(Slot slot, QuicClientConnection quic, String host, int port, String peer, byte[] certificateHash) {
            this.slot = slot;
            this.quic = quic;
            this.host = host;
            this.port = port;
            this.peer = peer;
            this.certificateHash = certificateHash;
        }

        boolean usable() {
            return !retired && quic.isConnected();
        }

        /** Starts kwik's PINGs, once: kwik starts a new pinger with each call and stops only the last. */
        synchronized void keepAlive() {
            if (keptAlive || config.keepAliveInterval().isZero()) {
                return;
            }
            try {
                quic.keepAlive(Integer.MAX_VALUE); // for as long as the connection lives; retire() ends it
                keptAlive = true;
            } catch (IllegalStateException e) {
                LOG.log(Level.DEBUG, "cannot keep the connection to {0} alive: {1}", peer, e.getMessage());
            }
        }

        /** Counts stream as a session on this connection until it closes. */
        void track(QuicMessageStream stream) {
            sessions.incrementAndGet();
            stream.onClose(this::sessionEnded);
        }

        /** Takes the connection out of the pool; it closes once no session runs on it. */
        void retire() {
            retired = true;
            slot.remove(this);
            closeIfIdle();
        }

        private void sessionEnded() {
            sessions.decrementAndGet();
            closeIfIdle();
        }

        private void closeIfIdle() {
            if (retired && sessions.get() == 0 && open.remove(this)) {
                quic.close(); // also stops kwik's pinger
            }
        }

        Duration authTimeout() {
            return config.authTimeout();
        }

        /**
         * Runs the team exchange on a stream of its own, unless this connection already did for
         * team, as far as sending our proof: the session goes out right behind it without
         * waiting for the verdict (the listener holds it until then), which a virtual thread
         * awaits. Sessions that start while a verdict is pending go out behind the same one.
         *
         * @return the pending verdict, or empty if the connection was authenticated for team already
         */
        Optional<CompletableFuture<Void>> authenticate(GraphId team, byte[] secret) throws SyncException {
            if (authenticated.contains(team)) {
                return Optional.empty();
            }
            if (!tryLock(authLock, config.authTimeout())) {
                throw timedOut("waiting to authenticate to " + peer);
            }
            try {
                if (authenticated.contains(team)) {
                    return Optional.empty();
                }
                CompletableFuture<Void> pending = verdicts.get(team);
                if (pending != null) {
                    return Optional.of(pending);
                }
                QuicMessageStream stream = QuicMessageStream.open(quic, peer, SessionDeadline.fixed(timer, config.authTimeout()), config, timer);
                try {
                    TeamAuth.sendProof(stream, team, secret, certificateHash);
                } catch (SyncException e) {
                    stream.abort(e.error());
                    stream.close();
                    LOG.log(Level.DEBUG, "team authentication to {0} for team {1} failed: {2}", peer, team, e.getMessage());
                    throw e;
                }
                CompletableFuture<Void> verdict = new CompletableFuture<>();
                verdicts.put(team, verdict);
                Thread.ofVirtual().name("aranya-sync-auth-" + peer).start(() -> awaitVerdict(stream, team, verdict));
                return Optional.of(verdict);
            } finally {
                authLock.unlock();
            }
        }

        private void awaitVerdict(QuicMessageStream stream, GraphId team, CompletableFuture<Void> verdict) {
            try {
                TeamAuth.awaitVerdict(stream, team);
                authenticated.add(team);
                verdict.complete(null);
            } catch (SyncException e) {
                stream.abort(e.error());
                LOG.log(Level.DEBUG, "team authentication to {0} for team {1} failed: {2}", peer, team, e.getMessage());
                verdict.completeExceptionally(e);
            } finally {
                stream.close();
                verdicts.remove(team, verdict); // after a refusal the next session tries again
            }
        }
    }

}
