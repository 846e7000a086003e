package aranya.sync.node;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Address;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.DeviceKey;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.GraphStore;
import aranya.sync.graph.Policy;
import aranya.sync.graph.Priority;
import aranya.sync.graph.StorageProvider;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.storage.CorruptLogException;
import aranya.sync.graph.storage.FileStorageProvider;
import aranya.sync.peers.HelloSubscriptionConfig;
import aranya.sync.peers.PeerAddress;
import aranya.sync.peers.SyncPeerConfig;
import aranya.sync.peers.SyncScheduler;
import aranya.sync.protocol.HelloPublisher;
import aranya.sync.protocol.MessageStream;
import aranya.sync.protocol.NodeBudget;
import aranya.sync.protocol.PeerDataBudget;
import aranya.sync.protocol.PeerCache;
import aranya.sync.protocol.SyncSession;
import aranya.sync.protocol.SyncSummary;
import aranya.sync.quic.ConnectionContext;
import aranya.sync.quic.NodeIdentity;
import aranya.sync.quic.SessionCancel;
import aranya.sync.quic.SyncConnector;
import aranya.sync.quic.SyncListener;
import aranya.sync.quic.TransportConfig;
import aranya.sync.control.CommandRunner;
import aranya.sync.control.ControlServer;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * An aranya-sync node: the one object an application embeds. It owns a data directory (the
 * device key, the node's TLS identity, team secrets, and a file store of every team graph),
 * optionally runs a QUIC sync server, and keeps its teams in sync with the peers it is told
 * about. Build one with {@link #builder(Path)}; close it to stop everything it started.
 *
 * <pre>{@code
 * try (SyncNode node = SyncNode.builder(Path.of("data")).listenAddress(new InetSocketAddress("127.0.0.1", 4433)).open()) {
 *     TeamCredentials team = node.createTeam(List.of());
 *     node.append(team.team(), "message", "hello".getBytes());
 *     node.syncNow(PeerAddress.parse("127.0.0.1:4434"), team.team(), Optional.empty());
 * }
 * }</pre>
 *
 * <p>Data directory layout (owner-only permissions): {@code device.key} (Ed25519 seed),
 * {@code node.identity} (QUIC key and certificate), {@code teams/<team>.secret},
 * {@code graphs/<team>.graph}, {@code node.lock} (held while the node is open: one node per
 * directory), and {@code control/socket} while a node with a control socket runs. Opening
 * checks each file and refuses a damaged one, or a key or secret others can access, naming
 * the file ({@code docs/storage.md}).
 *
 * <p><b>Threads.</b> Every sync session runs on a virtual thread of its own, with plain
 * blocking reads and writes on its QUIC stream: a session requested with {@link #syncAsync}
 * or {@link #syncNow} on a new one (the thread calling {@code syncNow} only waits for it), a
 * scheduled one on its (peer, team) schedule's thread, one after a hello on its
 * subscription's thread, and a served one on the thread the server starts for each stream
 * a peer opens. Received batches are committed on one more virtual thread per session, and
 * their signatures checked in parallel on the verifier executor ({@link
 * Builder#verifierExecutor}). kwik runs a few platform threads per connection and the
 * server's socket. Every method of the node may be called from any thread.
 *
 * <p><b>Cancellation.</b> A session ends early when the thread waiting in {@code syncNow} is
 * interrupted, when the future of {@code syncAsync} is cancelled, or when the node closes:
 * its stream is reset with {@link SyncError#CANCELLED} (a read or write blocked on it wakes at
 * once) and it fails with that error. Batches committed before stay committed; a batch being
 * committed at that moment is committed whole or not at all. A session still connecting ends
 * when the QUIC handshake does (at most the connect timeout).
 *
 * <p><b>Lifecycle.</b> {@link Builder#open()} either returns an open node or releases
 * everything it acquired (directory and graph locks, sockets, threads) before it throws, so
 * the directory can be opened again at once. {@link #close()} stops scheduling, cancels every
 * session in progress (requested, scheduled, after a hello, served), waits for them to end (at
 * most {@link #CLOSE_WAIT}), and only then closes the graphs and unlocks the directory; no
 * session of the node runs, notifies or logs after it returns.
 */
public final class SyncNode implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SyncNode.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SECRET_SUFFIX = ".secret";
    private static final Pattern SECRET_NAME = Pattern.compile("[0-9a-f]{64}\\.secret");
    private static final String DEVICE_KEY = "device.key";
    private static final String IDENTITY = "node.identity";
    private static final String TEAMS = "teams";
    private static final String GRAPHS = "graphs";
    /** A peer whose syncs fail this many times in a row is reported as stalled. */
    private static final int STALL_AFTER = 3;
    /** The most hello subscriptions this node serves at once, over all peers and teams. */
    public static final int MAX_HELLO_SUBSCRIPTIONS = 256;
    /**
     * How long {@link #close()} waits for the sessions it cancelled to end. A cancelled session
     * ends within milliseconds, one still connecting within the connect timeout (5 s by default).
     */
    public static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    private final Path dataDirectory;
    private final DeviceKey device;
    private final TransportConfig transport;
    private final StorageProvider storage;
    /** Whether the node made its storage (and closes it), or the builder was given one. */
    private final boolean ownsStorage;
    private final Policy policy;
    private final Executor verifier;
    /** The verifier pool the node made when the builder was given none; shut down with the node. */
    private final ExecutorService ownVerifier;
    private final Map<GraphId, Graph> graphs = new ConcurrentHashMap<>();
    private final Map<GraphId, byte[]> secrets = new ConcurrentHashMap<>();
    private final PeerCache peerCache = new PeerCache();
    private final PeerDataBudget peerData;
    private final Map<SyncScheduler.PeerKey, PeerHealth> health = new ConcurrentHashMap<>();
    private final SyncConnector connector;
    private final SyncScheduler scheduler;
    private final SyncListener listener;
    private final HelloPublisher hellos;
    private final SyncScheduler.Backoff backoff;
    private final Set<HelloSubscription> subscriptions = ConcurrentHashMap.newKeySet();
    /** The sessions in progress, requested and served: what close() cancels and waits for. */
    private final Set<ActiveSession> sessions = ConcurrentHashMap.newKeySet();
    private final List<Consumer<? super SyncOutcome>> outcomeListeners = new CopyOnWriteArrayList<>();
    private final DirectoryLock directoryLock;
    /** Set once, by the builder, right after construction. */
    private volatile ControlServer control;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** A session in progress: the thread it runs on and how to cancel it. */
    private record ActiveSession(Thread thread, SessionCancel cancel) {}

    /** A handle on a registered listener; closing it unregisters the listener. */
    public interface Registration extends AutoCloseable {
        /** Unregisters the listener; idempotent. */
        @Override
        void close();
    }

    /** How syncs with one (peer, team) went, for the JFR events and {@link #peerStatus()}. */
    private static final class PeerHealth {
        int failures;
        long lastSuccessMillis;
        Instant lastSync;
        SyncSummary lastSummary;
        SyncException lastFailure;
    }

    private SyncNode(Builder b, Path dataDirectory, DirectoryLock directoryLock) throws IOException, SyncException {
        this.dataDirectory = dataDirectory;
        this.directoryLock = directoryLock;
        Path deviceKey = dataDirectory.resolve(DEVICE_KEY);
        Path identityFile = dataDirectory.resolve(IDENTITY);
        if (!Files.exists(deviceKey)) {
            SecretFiles.write(deviceKey, DeviceKey.generate().encoded());
        }
        if (!Files.exists(identityFile)) {
            SecretFiles.write(identityFile, NodeIdentity.generate().encode());
        }
        this.device = DeviceKey.fromEncoded(SecretFiles.read(deviceKey, "device key", DeviceKey.ENCODED_LENGTH, b.strictFileModes));
        NodeIdentity identity;
        try {
            identity = NodeIdentity.decode(SecretFiles.read(identityFile, "QUIC identity", -1, b.strictFileModes));
            if (b.listenAddress != null) {
                identity.checkKeyPair(); // only a server uses it
            }
        } catch (SyncException e) {
            if (e.error() == SyncError.STORAGE) {
                throw e;
            }
            throw new SyncException(SyncError.STORAGE, identityFile + ": QUIC identity is damaged: " + e.reason()
                    + " (delete the file to make a new identity; peers notice nothing, as they do not pin it)", e);
        }
        this.transport = b.transport.build();
        this.peerData = PeerDataBudget.of(transport.budget());
        this.policy = b.policy;
        this.ownsStorage = b.storage == null;
        this.storage = ownsStorage ? new FileStorageProvider(dataDirectory.resolve(GRAPHS)) : b.storage;
        this.ownVerifier = b.verifier == null ? verifierPool() : null;
        this.verifier = b.verifier == null ? ownVerifier : b.verifier;
        this.connector = new SyncConnector(transport, this::keepAlive);
        this.backoff = b.backoff;
        // The syncer reports every outcome itself (onSyncOutcome), with what started the session.
        this.scheduler = new SyncScheduler((peer, team, bidirectional) ->
                syncOnce(peer, team, bidirectional, SyncOutcome.Trigger.SCHEDULED, new SessionCancel()), b.backoff);
        // A subscription stream, quiet between hellos, ends well inside the idle timeout that bounds the stream.
        this.hellos = new HelloPublisher(MAX_HELLO_SUBSCRIPTIONS, transport.idleTimeout().multipliedBy(3).dividedBy(4));
        SyncListener server = null;
        try {
            openTeams(b.strictFileModes);
            if (b.listenAddress != null) {
                server = SyncListener.start(b.listenAddress, identity,
                        team -> Optional.ofNullable(secrets.get(team)).map(byte[]::clone), this::serve, transport);
            }
        } catch (IOException | SyncException | RuntimeException e) {
            // Nothing has started a session yet: release what this constructor acquired, then fail.
            hellos.close();
            scheduler.close();
            connector.close();
            releaseStorage().forEach(e::addSuppressed);
            throw e;
        }
        this.listener = server;
    }

    /** The verifier executor a node makes for itself: one worker per core, started on first use. */
    private static ExecutorService verifierPool() {
        return new ForkJoinPool(Runtime.getRuntime().availableProcessors(), pool -> {
            ForkJoinWorkerThread worker = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            worker.setName("aranya-sync-verifier-" + worker.getPoolIndex());
            return worker;
        }, null, false);
    }

    /** Opens the control socket; the command line's commands then run against this node. */
    @SuppressWarnings("unchecked")
    private void startControl() throws IOException {
        CommandRunner<SyncNode> runner = ServiceLoader.load(CommandRunner.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no command runner for the control socket in this module"));
        control = ControlServer.start(dataDirectory, request -> (out, err) -> runner.run(this, dataDirectory, request, out, err));
    }

    /**
     * Whether dataDirectory holds a node (its device key), so that a tool can refuse a
     * mistyped directory instead of creating a new node there.
     *
     * @param dataDirectory the directory to look at
     * @return whether it holds a node
     */
    public static boolean exists(Path dataDirectory) {
        return Files.isRegularFile(dataDirectory.resolve(DEVICE_KEY));
    }

    /** {@return the directory this node keeps its state in} */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** {@return the control socket the command line reaches this node through; empty unless the builder asked for one} */
    public Optional<Path> controlSocket() {
        return Optional.ofNullable(control).map(c -> c.socket().toAbsolutePath());
    }

    /**
     * Loads every team secret in {@code teams/} and opens its graph. Files there that are not
     * named like a team secret are ignored, with a warning naming each.
     */
    private void openTeams(boolean strictFileModes) throws IOException, SyncException {
        Path teams = SecretFiles.directory(dataDirectory.resolve(TEAMS));
        try (DirectoryStream<Path> files = Files.newDirectoryStream(teams)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (!SECRET_NAME.matcher(name).matches()) {
                    if (!name.endsWith(".tmp")) { // SecretFiles.write interrupted; replaced by the next write
                        LOG.log(Level.WARNING, "ignoring {0}: not a team secret (those are named <64 hex digits>{1})", f, SECRET_SUFFIX);
                    }
                    continue;
                }
                GraphId team = GraphId.fromHex(name.substring(0, name.length() - SECRET_SUFFIX.length()));
                secrets.put(team, SecretFiles.read(f, "team secret", TeamCredentials.SECRET_LENGTH, strictFileModes));
                graphs.put(team, openGraph(team));
            }
        }
    }

    /**
     * Team's graph from its store; a damaged log is refused with a STORAGE error that says how
     * to repair it (found when the store opens, or when the graph replays the log's tail).
     */
    private Graph openGraph(GraphId team) throws SyncException {
        GraphStore store;
        try {
            store = storage.open(team);
        } catch (CorruptLogException e) {
            throw new SyncException(SyncError.STORAGE, "team " + team.toHex() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new SyncException(SyncError.STORAGE, "cannot open the graph of team " + team.toHex() + ": " + e.getMessage(), e);
        }
        try {
            return Graph.open(store, policy, verifier);
        } catch (SyncException | RuntimeException e) {
            try {
                store.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e.getCause() instanceof CorruptLogException damaged) {
                SyncException refused = new SyncException(SyncError.STORAGE, "team " + team.toHex() + ": " + damaged.getMessage(), damaged);
                for (Throwable t : e.getSuppressed()) {
                    refused.addSuppressed(t);
                }
                throw refused;
            }
            throw e;
        }
    }

    /**
     * Repairs the graph logs of a node that is not running (for one team, or all): each
     * damaged log keeps its intact records before the damage, and the rest is moved into a
     * file beside it ({@code graphs/<team>.graph.damaged-at-<offset>}); nothing is deleted.
     * Intact logs are left alone. Run it when opening the node fails because a log is
     * damaged, or a node logged (SEVERE) that its background check found damage; it checks
     * every record of each log. The moved commands come back from peers at the next sync,
     * if they have them. It holds the directory lock ({@code node.lock}) while it works, so it fails, naming the
     * holder's process, while a node has the directory open.
     *
     * @return what was done to each log
     * @param dataDirectory the node's data directory
     * @param team the one team to repair; empty for all
     * @throws IOException if a log cannot be read or written, or the directory is locked
     */
    public static List<FileStorageProvider.Repair> repairGraphs(Path dataDirectory, Optional<GraphId> team) throws IOException {
        Path dir = dataDirectory.resolve(GRAPHS);
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no graphs here: is this an aranya-sync data directory?");
        }
        DirectoryLock lock = DirectoryLock.acquire(dataDirectory);
        try {
            FileStorageProvider storage = new FileStorageProvider(dir);
            List<FileStorageProvider.Repair> out = new ArrayList<>();
            for (GraphId graph : team.isPresent() ? Set.of(team.get()) : new TreeSet<>(storage.graphs())) {
                out.add(storage.repair(graph));
            }
            return out;
        } finally {
            lock.close();
        }
    }

    /**
     * {@return a builder for a node keeping its state in dataDirectory (created if missing)}
     *
     * @param dataDirectory the node's data directory
     */
    public static Builder builder(Path dataDirectory) {
        return new Builder(dataDirectory);
    }

    /** {@return this device's Ed25519 public key: give it to a team admin to be added as a member} */
    public byte[] devicePublicKey() {
        return device.publicKey();
    }

    /** {@return where the sync server listens; empty for a client-only node} */
    public Optional<InetSocketAddress> listenAddress() {
        return Optional.ofNullable(listener).map(SyncListener::localAddress);
    }

    /**
     * Founds a team with this device and the given public keys as members; returns its credentials.
     *
     * @param otherMembers the raw public keys of the other founding members
     * @return the team's credentials, to share with the members
     * @throws SyncException STORAGE if the team cannot be stored
     */
    public TeamCredentials createTeam(List<byte[]> otherMembers) throws SyncException {
        Command init = TeamMembersPolicy.createTeam(device, otherMembers);
        byte[] secret = new byte[TeamCredentials.SECRET_LENGTH];
        RANDOM.nextBytes(secret);
        TeamCredentials credentials = new TeamCredentials(GraphId.of(init.id()), secret);
        Graph graph = join(credentials);
        graph.addCommands(List.of(init));
        return credentials;
    }

    /**
     * Joins a team from credentials someone shared. The graph starts empty and fills on the
     * first sync with a member; this device can write once a member adds its key.
     *
     * @param credentials the team id and secret
     * @throws SyncException STORAGE if the team cannot be stored
     */
    public void joinTeam(TeamCredentials credentials) throws SyncException {
        join(credentials);
    }

    private Graph join(TeamCredentials credentials) throws SyncException {
        GraphId team = credentials.team();
        try {
            SecretFiles.write(dataDirectory.resolve(TEAMS).resolve(team.toHex() + SECRET_SUFFIX), credentials.secret());
            Graph graph = graphs.computeIfAbsent(team, t -> {
                try {
                    return openGraph(t);
                } catch (SyncException e) {
                    throw new IllegalStateException(e);
                }
            });
            secrets.put(team, credentials.secret());
            return graph;
        } catch (IOException e) {
            throw new SyncException(SyncError.STORAGE, "cannot store the secret of team " + team, e);
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof SyncException cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** {@return the teams this node belongs to} */
    public Set<GraphId> teams() {
        return new TreeSet<>(graphs.keySet());
    }

    /**
     * The credentials of a team this node belongs to, for sharing with a new member.
     *
     * @param team the team
     * @return its credentials, secret included
     * @throws SyncException NO_SUCH_GRAPH if this node is not in team
     */
    public TeamCredentials credentials(GraphId team) throws SyncException {
        byte[] secret = secrets.get(team);
        if (secret == null) {
            throw new SyncException(SyncError.NO_SUCH_GRAPH, "this node is not in team " + team);
        }
        return new TeamCredentials(team, secret);
    }

    /**
     * Makes the device with this public key a member of team.
     *
     * @param team the team
     * @param publicKey the device's raw 32-byte public key
     * @return the command that adds it
     * @throws SyncException NO_SUCH_GRAPH if this node is not in team, POLICY_REJECTED if this
     *     device may not write, STORAGE if it cannot be stored
     */
    public Command addMember(GraphId team, byte[] publicKey) throws SyncException {
        return graph(team).append(device, Priority.basic(1), TeamMembersPolicy.ADD_MEMBER, Bytes.of(publicKey));
    }

    /**
     * Appends an application command (basic priority 1) to team's graph.
     *
     * @param team the team
     * @param kind the command kind
     * @param fields the application data
     * @return the new command
     * @throws SyncException NO_SUCH_GRAPH if this node is not in team, POLICY_REJECTED if this
     *     device may not write, STORAGE if it cannot be stored
     */
    public Command append(GraphId team, String kind, byte[] fields) throws SyncException {
        return append(team, Priority.basic(1), kind, fields);
    }

    /**
     * Appends an application command with the given priority to team's graph.
     *
     * @param team the team
     * @param priority its priority in the braid
     * @param kind the command kind
     * @param fields the application data
     * @return the new command
     * @throws SyncException NO_SUCH_GRAPH if this node is not in team, POLICY_REJECTED if this
     *     device may not write, STORAGE if it cannot be stored
     */
    public Command append(GraphId team, Priority priority, String kind, byte[] fields) throws SyncException {
        return graph(team).append(device, priority, kind, Bytes.of(fields));
    }

    /**
     * {@return team's commands in braid order: the same order on every node that holds the same commands}
     *
     * @param team the team
     * @throws SyncException NO_SUCH_GRAPH if this node is not in team, STORAGE
     */
    public List<Command> commands(GraphId team) throws SyncException {
        return graph(team).weave();
    }

    /**
     * {@return team's heads, ascending by id: one after this node appends, several while commands
     * received from peers are concurrent (they are merged at the next append, not on
     * receipt)} Empty until the graph has its init command. Two nodes hold the same commands
     * of a team exactly when their heads are equal.
     *
     * @param team the team
     * @throws SyncException NO_SUCH_GRAPH if this node is not in team
     */
    public List<Address> heads(GraphId team) throws SyncException {
        return graph(team).heads();
    }

    /**
     * {@return how many commands team's graph holds (merges included)}
     *
     * @param team the team
     * @throws SyncException NO_SUCH_GRAPH if this node is not in team
     */
    public int size(GraphId team) throws SyncException {
        return graph(team).size();
    }

    /**
     * Calls listener with every batch of new commands of team, local or synced; close the handle to stop.
     *
     * @param team the team
     * @param listener called with each batch's new commands (merges left out)
     * @return a handle that stops the calls when closed
     * @throws SyncException NO_SUCH_GRAPH if this node is not in team
     */
    public AutoCloseable onCommands(GraphId team, Consumer<List<Command>> listener) throws SyncException {
        return graph(team).onCommitted(listener);
    }

    /**
     * Syncs team with peer now and waits for the result (Aranya's {@code sync_now}):
     * an empty config means unidirectional, otherwise its bidirectional flag decides. One
     * call converges completely, however far behind this node is. The session runs on a
     * virtual thread of its own, as {@link #syncAsync} runs it; this thread waits for it.
     *
     * <p>Interrupting the waiting thread cancels the session: its stream is reset and this
     * method throws at once, with {@link SyncError#CANCELLED} and the thread's interrupt status
     * set again (as an interruptible channel does), rather than {@link InterruptedException}.
     * What the session committed before stays committed (see the class comment).
     *
     * @param peer the peer to sync with
     * @param team the team to sync
     * @param config empty for a unidirectional sync, else its bidirectional flag decides
     * @return what the session moved
     * @throws SyncException why the sync failed: {@link SyncError#NO_SUCH_GRAPH} if this node
     *     is not in team, {@link SyncError#CANCELLED} if interrupted or if the node closed, or
     *     the session's own failure (thrown as the session threw it)
     * @throws IllegalStateException if the node is closed
     */
    public SyncSummary syncNow(PeerAddress peer, GraphId team, Optional<SyncPeerConfig> config) throws SyncException {
        if (closed.get()) {
            throw new IllegalStateException("the node is closed");
        }
        graph(team);
        CompletableFuture<SyncSummary> session = syncAsync(peer, team, config);
        try {
            return session.get();
        } catch (InterruptedException e) {
            session.cancel(true);
            Thread.currentThread().interrupt();
            throw new SyncException(SyncError.CANCELLED, "interrupted while syncing team " + team + " with " + peer
                    + "; the session's stream was reset", e);
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case SyncException failure -> throw failure;
                case RuntimeException failure -> throw failure;
                case Error failure -> throw failure;
                default -> throw new IllegalStateException("the sync session failed", e.getCause());
            }
        }
    }

    /**
     * Starts syncing team with peer, as {@link #syncNow} does, on a virtual thread of its own,
     * and returns at once. The future completes with what the session moved, or exceptionally
     * with its {@link SyncException} ({@link SyncError#NO_SUCH_GRAPH} if this node is not in
     * team). Cancelling the future ({@code cancel(true)} or {@code cancel(false)}, alike)
     * cancels the session: its stream is reset with {@link SyncError#CANCELLED}, and the
     * listeners of {@link #onSyncOutcome} hear of it as a failure with that error. Cancelling a
     * future derived from this one ({@code thenApply}...) does not reach the session.
     *
     * @param peer the peer to sync with
     * @param team the team to sync
     * @param config empty for a unidirectional sync, else its bidirectional flag decides
     * @return the session's future
     * @throws IllegalStateException if the node is closed
     */
    public CompletableFuture<SyncSummary> syncAsync(PeerAddress peer, GraphId team, Optional<SyncPeerConfig> config) {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(team, "team");
        boolean bidirectional = config.map(SyncPeerConfig::bidirectional).orElse(false);
        if (closed.get()) {
            throw new IllegalStateException("the node is closed");
        }
        SessionCancel cancel = new SessionCancel();
        SessionFuture future = new SessionFuture(cancel);
        Thread.ofVirtual().name("aranya-sync-" + peer + "-" + team.toHex().substring(0, 8)).start(() -> {
            try {
                future.complete(syncOnce(peer, team, bidirectional, SyncOutcome.Trigger.ON_DEMAND, cancel));
            } catch (Throwable failure) {
                future.completeExceptionally(failure);
            }
        });
        return future;
    }

    /** The future of {@link #syncAsync}: cancelling it cancels the session. */
    private static final class SessionFuture extends CompletableFuture<SyncSummary> {
        private final SessionCancel session;

        SessionFuture(SessionCancel session) {
            this.session = session;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            if (cancelled) {
                session.cancel();
            }
            return cancelled;
        }
    }

    /**
     * Calls listener with the outcome of every sync session of this node that ends from now on:
     * the ones it requests ({@code syncNow}, {@code syncAsync}), scheduled ones, the ones a
     * hello starts, and the ones it serves. The listener runs on the session's thread right
     * after the session ended (before {@code syncNow} returns), so it should be quick; what it
     * throws is logged and otherwise ignored. Listeners are called in the order registered.
     *
     * @param listener what to tell each outcome
     * @return the registration; close it to stop the calls
     */
    public Registration onSyncOutcome(Consumer<? super SyncOutcome> listener) {
        Objects.requireNonNull(listener, "listener");
        // A wrapper of its own, so that registering one listener twice needs two closes.
        Consumer<SyncOutcome> registered = listener::accept;
        outcomeListeners.add(registered);
        return () -> outcomeListeners.remove(registered);
    }

    private void publish(SyncOutcome outcome) {
        for (Consumer<? super SyncOutcome> l : outcomeListeners) {
            try {
                l.accept(outcome);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "a sync outcome listener failed on " + outcome, e);
            }
        }
    }

    /**
     * Syncs team with peer as config says, from now on; re-adding replaces the config.
     *
     * @param peer the peer's sync server
     * @param team the team
     * @param config the interval, whether to sync now, and the direction
     * @throws SyncException NO_SUCH_GRAPH if this node is not in team
     */
    public void addSyncPeer(PeerAddress peer, GraphId team, SyncPeerConfig config) throws SyncException {
        graph(team);
        scheduler.addSyncPeer(peer, team, config);
    }

    /**
     * Stops syncing team with peer; returns whether it was scheduled.
     *
     * @param peer the peer's sync server
     * @param team the team
     * @return whether it was scheduled
     */
    public boolean removeSyncPeer(PeerAddress peer, GraphId team) {
        peerCache.forget(peer.toString());
        return scheduler.removeSyncPeer(peer, team);
    }

    /** {@return the scheduled peers and their configurations} */
    public Map<SyncScheduler.PeerKey, SyncPeerConfig> syncPeers() {
        return scheduler.peers();
    }

    /**
     * Subscribes to peer's hello notifications for team: the peer announces its head set, as
     * its synthetic head ({@link Graph#syntheticHead()}), when its graph changes (debounced) and
     * on a schedule, and this node syncs with it unless it holds that address as a command or as
     * its own synthetic head, using the peer's {@link SyncPeerConfig} if it was added with
     * {@link #addSyncPeer}, else unidirectionally. The notifications flow on a stream this node
     * opens, so a client-only node can subscribe. Close the handle to unsubscribe.
     *
     * @param peer the peer's sync server
     * @param team the team
     * @param config the delays and duration
     * @return the subscription
     * @throws SyncException NO_SUCH_GRAPH if this node is not in team
     */
    public HelloSubscription subscribeHello(PeerAddress peer, GraphId team, HelloSubscriptionConfig config) throws SyncException {
        Graph graph = graph(team);
        SyncScheduler.PeerKey key = new SyncScheduler.PeerKey(peer, team);
        HelloSubscription subscription = new HelloSubscription(peer, team, config,
                deadline -> connector.openStream(peer.host(), peer.port(), team, secrets.get(team), deadline),
                head -> {
                    // A hello names the peer's synthetic head: a command we hold if we have merged
                    // its heads by appending, or our own synthetic head if we hold the same heads.
                    if (!graph.contains(head.id()) && !graph.syntheticHead().equals(Optional.of(head))) {
                        boolean bidirectional = Optional.ofNullable(scheduler.peers().get(key)).map(SyncPeerConfig::bidirectional).orElse(false);
                        try {
                            syncOnce(peer, team, bidirectional, SyncOutcome.Trigger.HELLO, new SessionCancel());
                        } catch (SyncException e) {
                            if (e.error() != SyncError.CANCELLED) { // the node or the subscription is closing
                                LOG.log(Level.WARNING, "sync of team {0} with {1} after its hello failed: {2}", team, peer, e.getMessage());
                            }
                        }
                    }
                },
                backoff,
                // Twice our own idle timeout: a peer with our defaults ends each stream at 3/4 of its own.
                transport.idleTimeout().multipliedBy(2),
                transport.maxMessageSize());
        subscriptions.removeIf(s -> s.state() != HelloSubscription.State.ACTIVE);
        subscriptions.add(subscription);
        if (closed.get()) { // close() may have gone over the set before we were in it
            subscription.close();
            throw new IllegalStateException("the node is closed");
        }
        return subscription;
    }

    /** {@return how many hello subscriptions from peers this node serves now} */
    public int helloSubscribers() {
        return hellos.active();
    }

    /** {@return how many of this node's own hello subscriptions (to peers) are active} */
    public int helloSubscriptions() {
        return (int) subscriptions.stream().filter(s -> s.state() == HelloSubscription.State.ACTIVE).count();
    }

    /** {@return the sync sessions in progress: those this node serves and those it requested} */
    public int openSessions() {
        return sessions.size();
    }

    /**
     * {@return every (peer, team) this node syncs with or has synced with since it opened: scheduled
     * peers first, in the order of their address, then the others}
     */
    public List<PeerStatus> peerStatus() {
        Map<SyncScheduler.PeerKey, SyncPeerConfig> scheduled = scheduler.peers();
        Set<SyncScheduler.PeerKey> keys = new TreeSet<>(java.util.Comparator
                .comparing((SyncScheduler.PeerKey k) -> !scheduled.containsKey(k))
                .thenComparing(k -> k.peer().toString())
                .thenComparing(k -> k.team().toHex()));
        keys.addAll(scheduled.keySet());
        keys.addAll(health.keySet());
        List<PeerStatus> out = new ArrayList<>(keys.size());
        for (SyncScheduler.PeerKey k : keys) {
            PeerHealth h = health.get(k);
            Optional<SyncPeerConfig> config = Optional.ofNullable(scheduled.get(k));
            if (h == null) {
                out.add(new PeerStatus(k.peer(), k.team(), config, Optional.empty(), Optional.empty(), Optional.empty(), 0));
            } else {
                synchronized (h) {
                    out.add(new PeerStatus(k.peer(), k.team(), config, Optional.ofNullable(h.lastSync),
                            Optional.ofNullable(h.lastSummary), Optional.ofNullable(h.lastFailure), h.failures));
                }
            }
        }
        return out;
    }

    private Graph graph(GraphId team) throws SyncException {
        Graph g = graphs.get(Objects.requireNonNull(team, "team"));
        if (g == null) {
            throw new SyncException(SyncError.NO_SUCH_GRAPH, "this node is not in team " + team);
        }
        return g;
    }

    /**
     * One client session with peer, on the calling thread: tracked so that close() cancels and
     * awaits it, recorded as a JFR event and in peerStatus(), and told to the outcome listeners.
     */
    private SyncSummary syncOnce(PeerAddress peer, GraphId team, boolean bidirectional, SyncOutcome.Trigger trigger,
            SessionCancel cancel) throws SyncException {
        Graph graph = graph(team);
        SyncEvents.Completed completed = new SyncEvents.Completed();
        SyncEvents.Failed failed = new SyncEvents.Failed();
        completed.begin();
        failed.begin();
        long start = System.nanoTime();
        // Outside the peer data budget: this node chooses how many syncs it starts, and a session that
        // waited for budget while its server waited for it would hold both until their deadlines.
        ActiveSession session = track(cancel);
        try {
            SyncSummary summary = connector.session(peer.host(), peer.port(), team, secrets.get(team), cancel,
                    stream -> new SyncSession(stream, peerCache, transport.maxMessageSize()).requestSync(graph, bidirectional));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            recordSuccess(peer, team, bidirectional, summary, completed, took);
            publish(new SyncOutcome.Succeeded(trigger, peer, Optional.of(team), took, summary));
            return summary;
        } catch (SyncException e) {
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            recordFailure(peer, team, e, failed, took);
            publish(new SyncOutcome.Failed(trigger, peer, Optional.of(team), took, e));
            throw e;
        } finally {
            sessions.remove(session);
        }
    }

    /** Counts a session in progress on this thread until it is removed from sessions; cancelled at once if the node is closing. */
    private ActiveSession track(SessionCancel cancel) {
        ActiveSession session = new ActiveSession(Thread.currentThread(), cancel);
        sessions.add(session);
        if (closed.get()) { // close() may have gone over the set before we were in it
            cancel.cancel();
        }
        return session;
    }

    /**
     * Whether the connection to host:port should be kept alive between sessions: while a
     * peer there is scheduled (it has an interval) or subscribed to.
     */
    private boolean keepAlive(String host, int port) {
        PeerAddress at = new PeerAddress(host, port);
        return scheduler.peers().entrySet().stream().anyMatch(e -> e.getKey().peer().equals(at) && e.getValue().interval().isPresent())
                || subscriptions.stream().anyMatch(s -> s.peer().equals(at) && s.state() == HelloSubscription.State.ACTIVE);
    }

    /**
     * Serves one stream a peer opened on our listener, tracked like the sessions we request;
     * SyncSession logs a failure, we record it as a JFR event and tell the outcome listeners.
     */
    private void serve(MessageStream stream, ConnectionContext connection) {
        SyncEvents.ServeFailed event = new SyncEvents.ServeFailed();
        event.begin();
        long start = System.nanoTime();
        PeerAddress peer = PeerAddress.of(connection.remoteAddress());
        SessionCancel cancel = new SessionCancel();
        cancel.onCancel(stream::close); // wakes a call blocked on the stream, which then fails
        ActiveSession session = track(cancel);
        AtomicReference<GraphId> team = new AtomicReference<>(); // the team the peer's request names
        try (PeerDataBudget.Account budget = peerData.account(connection.remoteAddress().getAddress())) {
            SyncSummary summary = new SyncSession(stream, peerCache, transport.maxMessageSize(), budget, transport.idleTimeout())
                    .serve(t -> Optional.ofNullable(graphs.get(t)), t -> {
                        team.set(t);
                        return connection.isAuthenticated(t);
                    }, hellos);
            publish(new SyncOutcome.Succeeded(SyncOutcome.Trigger.SERVED, peer, Optional.ofNullable(team.get()),
                    Duration.ofNanos(System.nanoTime() - start), summary));
        } catch (SyncException failure) {
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            SyncException reported = cancel.isCancelled() && failure.error() != SyncError.CANCELLED
                    ? new SyncException(SyncError.CANCELLED, "serving " + peer + " was cancelled: the node closed", failure)
                    : failure;
            if (event.isEnabled()) {
                event.durationMs = took.toMillis();
                event.peerAddr = stream.peer();
                event.team = team.get() == null ? null : team.get().toHex();
                event.error = reported.error().name();
                event.message = reported.getMessage();
                event.commit();
            }
            publish(new SyncOutcome.Failed(SyncOutcome.Trigger.SERVED, peer, Optional.ofNullable(team.get()), took, reported));
        } finally {
            sessions.remove(session);
        }
    }

    /** The bytes of peer data the sessions this node serves hold, for tests. */
    PeerDataBudget peerData() {
        return peerData;
    }

    private void recordSuccess(PeerAddress peer, GraphId team, boolean bidirectional, SyncSummary s, SyncEvents.Completed e,
            Duration took) {
        PeerHealth h = health.computeIfAbsent(new SyncScheduler.PeerKey(peer, team), k -> new PeerHealth());
        synchronized (h) {
            h.failures = 0;
            h.lastSuccessMillis = System.currentTimeMillis();
            h.lastSync = Instant.ofEpochMilli(h.lastSuccessMillis);
            h.lastSummary = s;
            h.lastFailure = null;
        }
        if (e.isEnabled()) {
            e.durationMs = took.toMillis();
            e.peerAddr = peer.toString();
            e.team = team.toHex();
            e.bidirectional = bidirectional;
            e.cmdCountReceived = s.received();
            e.cmdCountAdded = s.added();
            e.cmdCountSent = s.sent();
            e.bytesTransferred = s.bytes();
            e.commit();
        }
        LOG.log(Level.DEBUG, "synced team {0} with {1}: {2}", team, peer, s);
    }

    /** Records a failure; a cancelled session says nothing about the peer, so it counts for no failure or stall. */
    private void recordFailure(PeerAddress peer, GraphId team, SyncException failure, SyncEvents.Failed e, Duration took) {
        PeerHealth h = health.computeIfAbsent(new SyncScheduler.PeerKey(peer, team), k -> new PeerHealth());
        boolean cancelled = failure.error() == SyncError.CANCELLED;
        int failures;
        long lastSuccess;
        synchronized (h) {
            if (!cancelled) {
                h.failures++;
                h.lastSync = Instant.now();
                h.lastSummary = null;
                h.lastFailure = failure;
            }
            failures = h.failures;
            lastSuccess = h.lastSuccessMillis;
        }
        if (e.isEnabled()) {
            e.durationMs = took.toMillis();
            e.peerAddr = peer.toString();
            e.team = team.toHex();
            e.error = failure.error().name();
            e.message = failure.getMessage();
            e.retryCount = failures;
            e.lastSuccessfulSync = lastSuccess;
            e.commit();
        }
        if (!cancelled && failures >= STALL_AFTER) {
            SyncEvents.Stalled stalled = new SyncEvents.Stalled();
            stalled.peerAddr = peer.toString();
            stalled.team = team.toHex();
            stalled.retryCount = failures;
            stalled.error = failure.error().name();
            stalled.commit();
        }
    }

    /**
     * Closes the node: closes the control socket, stops scheduling, ends hello subscriptions
     * (ours and those we serve), cancels every session in progress (requested, scheduled, after
     * a hello, served; each fails with {@link SyncError#CANCELLED}) and waits for them to end,
     * for at most {@link #CLOSE_WAIT}; then stops the server and every connection, closes the
     * graphs and the storage and verifier the node made itself, and unlocks the directory.
     * Idempotent: a second call returns at once. If interrupted while waiting, it stops
     * waiting, closes the rest, and returns with the interrupt status set.
     */
    @Override
    public void close() throws SyncException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<Exception> failures = new ArrayList<>();
        if (control != null) {
            try {
                control.close();
            } catch (IOException e) {
                failures.add(e);
            }
        }
        scheduler.close();
        hellos.close();
        subscriptions.forEach(HelloSubscription::close);
        sessions.forEach(s -> s.cancel().cancel());
        if (listener != null) {
            listener.close(); // served connections go: a served session still blocked fails
        }
        awaitSessions();
        connector.close();
        failures.addAll(releaseStorage());
        try {
            directoryLock.close();
        } catch (IOException e) {
            failures.add(e);
        }
        if (!failures.isEmpty()) {
            Exception first = failures.get(0);
            throw first instanceof SyncException s ? s
                    : new SyncException(SyncError.STORAGE, "cannot close " + dataDirectory + ": " + first.getMessage(), first);
        }
    }

    /** Waits, at most CLOSE_WAIT in all, for the cancelled sessions and our hello subscriptions to end. */
    private void awaitSessions() {
        long until = System.nanoTime() + CLOSE_WAIT.toNanos();
        try {
            for (HelloSubscription subscription : subscriptions) {
                subscription.awaitEnd(Duration.ofNanos(Math.max(0, until - System.nanoTime())));
            }
            for (ActiveSession session : sessions) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                session.thread().join(Duration.ofNanos(left));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!sessions.isEmpty()) {
            LOG.log(Level.WARNING, "{0} sync sessions had not ended {1} after the node began closing; closing their graphs under them",
                    sessions.size(), CLOSE_WAIT);
        }
    }

    /** Closes every open graph, then the storage and the verifier pool if the node made them; returns the failures. */
    private List<Exception> releaseStorage() {
        List<Exception> failures = new ArrayList<>();
        for (Graph g : graphs.values()) {
            try {
                g.close();
            } catch (SyncException e) {
                failures.add(e);
            }
        }
        graphs.clear();
        if (ownsStorage) {
            try {
                storage.close();
            } catch (IOException e) {
                failures.add(e);
            }
        }
        if (ownVerifier != null) {
            ownVerifier.shutdown();
        }
        return failures;
    }

    /** Configures a {@link SyncNode}; defaults suit a node on a LAN. */
    public static final class Builder {
        private final Path dataDirectory;
        private InetSocketAddress listenAddress;
        private final TransportConfig.Builder transport = TransportConfig.builder();
        private SyncScheduler.Backoff backoff = SyncScheduler.Backoff.DEFAULT;
        private boolean controlSocket;
        private boolean strictFileModes = true;
        private StorageProvider storage;
        private Policy policy = new TeamMembersPolicy();
        private Executor verifier;

        private Builder(Path dataDirectory) {
            this.dataDirectory = Objects.requireNonNull(dataDirectory, "dataDirectory");
        }

        /**
         * Run a sync server on this UDP address (port 0 picks one); without it the node is client-only.
         *
         * @param address the local address
         * @return this builder
         */
        public Builder listenAddress(InetSocketAddress address) {
            this.listenAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * How long a sync session, served or not, may go without progress before it fails with
         * {@link SyncError#TIMEOUT} (default 30 s). Progress is a whole message, or 16 KiB of
         * one, received from the peer or taken by QUIC for sending (which it takes only as the
         * peer acknowledges earlier data), so a long sync that keeps moving never times out,
         * and a peer that trickles bytes gets no more than 16 KiB or one message per idle
         * timeout. Connecting and team authentication have bounds of their own.
         *
         * @param timeout positive
         * @return this builder
         */
        public Builder idleTimeout(Duration timeout) {
            transport.idleTimeout(timeout);
            return this;
        }

        /**
         * An overall cap on one sync session, however it progresses (default none).
         *
         * @param cap positive
         * @return this builder
         */
        public Builder maxSessionTime(Duration cap) {
            transport.maxSessionTime(Optional.of(cap));
            return this;
        }

        /**
         * How often a pooled connection to a scheduled or subscribed peer sends a keep-alive
         * (a QUIC PING), so a NAT keeps its mapping between syncs (default 10 s, whole seconds;
         * {@link Duration#ZERO} for none).
         *
         * @param interval whole seconds, or zero
         * @return this builder
         */
        public Builder keepAliveInterval(Duration interval) {
            transport.keepAliveInterval(interval);
            return this;
        }

        /**
         * How long to wait for a QUIC handshake (default 5 s).
         *
         * @param timeout positive
         * @return this builder
         */
        public Builder connectTimeout(Duration timeout) {
            transport.connectTimeout(timeout);
            return this;
        }

        /**
         * What all peers together may make this node hold (default {@link NodeBudget#defaults()}):
         * bytes of peer data in flight, connections, and sessions served at once, each also per
         * peer address and sessions per team. Past a limit sessions wait rather than fail.
         *
         * @param budget the limits
         * @return this builder
         */
        public Builder budget(NodeBudget budget) {
            transport.budget(budget);
            return this;
        }

        /**
         * How scheduled syncs back off after failures (default 1 s doubling to 5 min).
         *
         * @param backoff the backoff
         * @return this builder
         */
        public Builder backoff(SyncScheduler.Backoff backoff) {
            this.backoff = Objects.requireNonNull(backoff, "backoff");
            return this;
        }

        /**
         * Whether to open a control socket ({@code DIR/control/socket}, owner-only) through
         * which {@code aranya-sync} commands on this data directory run against this node while
         * it is open, instead of failing on its lock (default false).
         *
         * @param open whether to open one
         * @return this builder
         */
        public Builder controlSocket(boolean open) {
            this.controlSocket = open;
            return this;
        }

        /**
         * Whether a device key, QUIC identity or team secret file that group or others may
         * access (any of the permissions in 077, as ssh's StrictModes) stops {@link #open}
         * (default true), or is used with a warning (false). Ignored on file systems without
         * POSIX permissions.
         *
         * @param strict whether such a file stops the node
         * @return this builder
         */
        public Builder strictFileModes(boolean strict) {
            this.strictFileModes = strict;
            return this;
        }

        /**
         * Where the node keeps its team graphs (default: a {@link FileStorageProvider} in
         * {@code DIR/graphs}, which the node makes and closes). The node opens one store per
         * team it is in and closes those stores when it closes, but not a provider given here,
         * which stays the caller's. The device key, QUIC identity and team secrets stay in the
         * data directory whatever the storage: with an {@code InMemoryStorageProvider} a node
         * keeps its keys and teams and fetches the graphs from peers again after a restart.
         *
         * @param storage the provider of the team graphs' stores
         * @return this builder
         */
        public Builder storage(StorageProvider storage) {
            this.storage = Objects.requireNonNull(storage, "storage");
            return this;
        }

        /**
         * The policy every team graph of this node checks commands with (default
         * {@link TeamMembersPolicy}). It must decide from a command and its ancestry alone, as
         * {@link Policy} says, or replicas disagree. {@link SyncNode#createTeam} and
         * {@link SyncNode#addMember} write {@code TeamMembersPolicy}'s commands (its init
         * command and {@value TeamMembersPolicy#ADD_MEMBER}), so a policy that should let this
         * node found teams and add members must accept those.
         *
         * @param policy the policy of every team graph
         * @return this builder
         */
        public Builder policy(Policy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Where the signatures of received batches are checked, in parallel (default: a pool
         * of the node's own, one thread per core, started on first use and shut down when the
         * node closes, rather than the common {@link ForkJoinPool} the host application may be
         * using). The node does not shut down an executor given here; it must run tasks
         * concurrently for the checks to be parallel, and must not reject them while the node
         * is open.
         *
         * @param executor where signature checks run
         * @return this builder
         */
        public Builder verifierExecutor(Executor executor) {
            this.verifier = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Locks the data directory (one node per directory; a second one fails with an
         * IOException naming the holder's process), opens it (creating keys on first use) and
         * starts the server and the control socket, if asked for. Every key, identity and
         * secret file is checked first: a file of the wrong length, one that does not decode,
         * one others may access (see {@link #strictFileModes}) or a damaged graph log fails with
         * a {@link SyncError#STORAGE} error naming the file and the problem. Whatever step
         * fails (a busy listen address too), everything acquired before it is released (the
         * directory and graph locks, sockets, threads), so the directory can be opened again
         * at once.
         *
         * @return the open node; close it to stop it
         * @throws IOException if the directory is locked by another node, or cannot be created or read
         * @throws SyncException STORAGE for a damaged or exposed file, as above
         */
        public SyncNode open() throws IOException, SyncException {
            Path dir = SecretFiles.directory(dataDirectory);
            DirectoryLock lock = DirectoryLock.acquire(dir);
            SyncNode node;
            try {
                node = new SyncNode(this, dir, lock);
            } catch (IOException | SyncException | RuntimeException e) {
                lock.close();
                throw e;
            }
            if (controlSocket) {
                try {
                    node.startControl();
                } catch (IOException | RuntimeException e) {
                    try {
                        node.close();
                    } catch (SyncException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                    throw e;
                }
            }
            return node;
        }
    }
}
