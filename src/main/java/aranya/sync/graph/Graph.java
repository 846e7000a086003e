package aranya.sync.graph;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * One team's command graph: verified, policy-checked, durable, with a set of heads.
 *
 * <p>A batch of received commands ({@link #addCommands}) is all or nothing: duplicates are
 * skipped, any bad command fails the whole batch with a {@link SyncException} naming it, and
 * a good batch is stored (fsync'd by the file store) before the call returns.
 *
 * <p><b>Lazy merges.</b> Receiving never creates a merge: concurrent commands simply leave
 * the graph with several heads (commands without children). Only {@link #append} needs one
 * parent, so it first merges the heads with the <em>merge fold</em> and appends on top, all
 * in one atomic write. The fold is a function of the head set alone, so every replica with
 * the same heads writes byte-identical merge commands (Aranya's core does the same since
 * its "lazy merges"): sort the heads by id, ascending, into a queue; while the queue holds
 * two or more entries, take the front two, merge them ({@link Command#merge}, whose id is a
 * hash of the two parent ids) and put the merge at the back. {@link #syntheticHead()} is the
 * address the fold would end with, without writing it. Merge commands received from peers
 * that merge eagerly are stored like any other command.
 *
 * <p>Thread-safe: reads share a lock. A batch takes it exclusively only to be checked (then
 * undone) and to be published; it is written and fsync'd in between with only the commit lock
 * held, so readers go on meanwhile and never see a command that is not durable. Signatures
 * are checked in parallel before any lock is taken, on the executor given to
 * {@link #open(GraphStore, Policy, Executor)} (the common {@link ForkJoinPool} by default).
 * Command bodies stay in the store and are read back through the index's bounded cache; a
 * store that fails such a read makes the query throw {@link java.io.UncheckedIOException}.
 */
public final class Graph implements AutoCloseable {
    /** Batches at least this long are verified on all cores. */
    private static final int PARALLEL_VERIFY_MIN = 8;
    /** At most this many parts of a batch are verified at once: a few per core, so an uneven part holds none up for long. */
    private static final int VERIFY_PARTS = 4 * Runtime.getRuntime().availableProcessors();
    /** Sample places heads leave for what the peer is known to hold. */
    private static final int SAMPLE_PEER_RESERVE = 10;
    /** Sample places kept for exponentially spaced ancestors (enough for 2^32 commands). */
    private static final int SAMPLE_SPREAD = 33;

    private final GraphId id;
    private final GraphStore store;
    private final Policy policy;
    private final Executor verifier;
    private final GraphIndex index;
    /** Tells the store which index format and policy its checkpoint must have been made with. */
    private final String indexTag;
    /** The store's index files; null when it offers none (the index is then on the heap, and never saved). */
    private final IndexFiles indexFiles;
    /** Commands the checkpoint on disk holds; -1 for none. Guarded by the commit lock, as the three below. */
    private int checkpointed = -1;
    /** Whether the checkpoint on disk says its table holds no number at or above its size (see {@link #markDirty}). */
    private boolean savedClean;
    /** The store position after the last batch in the index. */
    private long storedEnd;
    /** False once a checkpoint failed: the next open replays what was stored since the last one. */
    private boolean checkpointing = true;
    /** Set by {@link #close}; guarded by the commit lock. */
    private boolean closed;
    /** Key -> numbers of the commands that granted it, in insertion order. */
    private final Map<KeyId, IntList> grants = new HashMap<>();
    /** Command number -> the keys it granted (only commands that granted any). */
    private final Map<Integer, List<KeyId>> grantedByCommand = new HashMap<>();
    /** Readers share it; a batch takes it exclusively only to check and to publish, never while it is written to the store. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** One batch at a time, held from its checks until it is stored and published. */
    private final java.util.concurrent.locks.ReentrantLock commitLock = new java.util.concurrent.locks.ReentrantLock();
    private final java.util.concurrent.CopyOnWriteArrayList<java.util.function.Consumer<List<Command>>> listeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    /** The end of the fold over a head set (by ids, ascending): see {@link #foldedAddress}. */
    private record Folded(List<CommandId> heads, Address end) {}

    /** The last fold computed; readers share the lock, so it is replaced whole. */
    private volatile Folded folded;

    /** A committed batch: its result and the new commands in it (merges included). */
    private record Committed(AddResult result, List<Command> added) {}

    private Graph(GraphStore store, Policy policy, Executor verifier) {
        this.id = store.graphId();
        this.store = store;
        this.policy = policy;
        this.verifier = verifier;
        this.indexFiles = store.indexFiles().orElse(null);
        this.index = new GraphIndex(store::read, indexFiles == null ? GraphIndex.HEAP : GraphIndex.mapped(indexFiles));
        this.indexTag = "graph-index-2 " + policy.getClass().getName();
    }

    /**
     * Opens a graph from its store: takes back the index checkpoint the store keeps, if any,
     * and replays the batches stored after it (all of them without one). An empty store gives
     * an empty graph that accepts exactly one init command: the one whose id is the graph id.
     * The stored commands were verified when they arrived and are not verified again. A
     * checkpoint that does not fit the store or its files is discarded and the index rebuilt
     * from the batches.
     *
     * @param store where the graph's commands are kept
     * @param policy decides which commands are allowed
     * @return the graph, holding everything the store holds
     * @throws SyncException STORAGE if the store cannot be read
     */
    public static Graph open(GraphStore store, Policy policy) throws SyncException {
        return open(store, policy, ForkJoinPool.commonPool());
    }

    /**
     * As {@link #open(GraphStore, Policy)}, checking the signatures of received batches on
     * verifier instead of the common {@link ForkJoinPool}: a batch is split into parts that
     * run on it in parallel while the committing thread waits for them.
     *
     * @param store the graph's store, which the graph then owns
     * @param policy what decides which commands may join
     * @param verifier where signature checks run; it must not reject tasks while the graph is in use
     * @return the graph, with its index taken back from the store's checkpoint and the rest of store replayed
     * @throws SyncException {@link SyncError#STORAGE} if the store cannot be read or holds what
     *     cannot be a stored graph
     */
    public static Graph open(GraphStore store, Policy policy, Executor verifier) throws SyncException {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(verifier, "verifier");
        Graph graph = new Graph(store, policy, verifier);
        long from;
        try {
            from = graph.restoreCheckpoint();
        } catch (IOException | RuntimeException e) {
            System.getLogger(Graph.class.getName()).log(System.Logger.Level.WARNING,
                    "the index checkpoint of graph " + graph.id + " is unusable (" + e.getMessage() + "); rebuilding it from the log");
            graph = new Graph(store, policy, verifier);
            from = graph.startEmpty();
        }
        // A restored index whose rows fail while its tail is replayed is rebuilt from the log;
        // an index built from nothing has nothing to fall back on.
        int before = graph.index.size();
        if (before > 0) {
            try {
                graph.replayTail(from);
            } catch (java.io.UncheckedIOException | IndexOutOfBoundsException e) {
                System.getLogger(Graph.class.getName()).log(System.Logger.Level.WARNING,
                        "the index files of graph " + graph.id + " are damaged (" + e.getMessage() + "); rebuilding them from the log");
                graph = new Graph(store, policy, verifier);
                from = graph.startEmpty();
                before = 0;
            }
        }
        if (before == 0) {
            try {
                graph.replayTail(from);
            } catch (java.io.UncheckedIOException | IndexOutOfBoundsException e) {
                throw new SyncException(SyncError.STORAGE, "cannot build the index of graph " + graph.id + ": " + e.getMessage(), e);
            }
        }
        graph.index.endBulk();
        if (graph.indexFiles != null && graph.index.size() > 0
                && (graph.checkpointed < 0 || graph.index.size() - before >= CHECKPOINT_COMMANDS)) {
            graph.saveCheckpoint(true);
        }
        return graph;
    }

    /**
     * Takes back the store's checkpoint and returns the position to replay from; without one,
     * starts empty and returns 0.
     *
     * @throws IOException if the checkpoint does not fit (the caller then starts afresh)
     */
    private long restoreCheckpoint() throws IOException, SyncException {
        Optional<IndexFiles.Checkpoint> loaded = indexFiles == null ? Optional.empty() : indexFiles.load(indexTag);
        if (loaded.isEmpty()) {
            return startEmpty();
        }
        IndexFiles.Checkpoint checkpoint = loaded.get();
        ByteBuffer in = checkpoint.state().duplicate();
        try {
            int flag = in.get();
            if (flag != 0 && flag != 1) {
                throw new IOException("the checkpoint's clean flag is " + flag);
            }
            int withGrants = in.getInt();
            IntList numbers = new IntList();
            List<List<KeyId>> keys = new ArrayList<>();
            for (int i = 0, last = -1; i < withGrants; i++) {
                int n = in.getInt();
                int count = Byte.toUnsignedInt(in.get());
                if (n <= last || count == 0) {
                    throw new IOException("the checkpoint lists " + count + " keys granted by command " + n + " after command " + last);
                }
                List<KeyId> granted = new ArrayList<>(count);
                for (int k = 0; k < count; k++) {
                    byte[] key = new byte[32];
                    in.get(key);
                    granted.add(KeyId.of(key));
                }
                numbers.add(n);
                keys.add(granted);
                last = n;
            }
            index.restoreState(in.slice(), flag == 1);
            if (index.size() > 0 && index.idPrefix(0) != GraphIndex.prefixOf(id.initId())) {
                throw new IOException("the index's first command is not the init command of graph " + id);
            }
            for (int i = 0; i < numbers.size(); i++) {
                if (numbers.get(i) >= index.size()) {
                    throw new IOException("the checkpoint lists keys granted by command " + numbers.get(i) + " of " + index.size());
                }
                for (KeyId key : keys.get(i)) {
                    addGrant(key, numbers.get(i));
                }
            }
            checkpointed = index.size();
            savedClean = flag == 1;
            storedEnd = checkpoint.position();
        } catch (java.nio.BufferUnderflowException e) {
            throw new IOException("the checkpoint ends early", e);
        }
        if (savedClean && checkpoint.logGoesOn()) {
            markDirty(); // the replay adds to the table
        }
        index.beginBulk(false);
        return checkpoint.position();
    }

    /** Starts an empty index (the store's checkpoint discarded first, so none describes the areas it rewrites); returns 0. */
    private long startEmpty() throws SyncException {
        if (indexFiles != null) {
            try {
                indexFiles.discard();
            } catch (IOException e) {
                throw new SyncException(SyncError.STORAGE, "cannot discard the index checkpoint of graph " + id + ": " + e.getMessage(), e);
            }
        }
        try {
            index.startEmpty();
        } catch (java.io.UncheckedIOException e) {
            throw new SyncException(SyncError.STORAGE, "cannot create the index files of graph " + id + ": " + e.getMessage(), e);
        }
        index.beginBulk(true);
        return 0;
    }

    /**
     * Restores the commands stored from position from on.
     *
     * @throws java.io.UncheckedIOException if the index's files are damaged or cannot grow
     */
    private void replayTail(long from) throws SyncException {
        List<RuntimeException> indexFailure = new ArrayList<>(1);
        List<SyncException> failure = new ArrayList<>(1);
        try {
            storedEnd = store.replay(from, (command, locator, batchEnd) -> {
                if (!failure.isEmpty() || !indexFailure.isEmpty()) {
                    return;
                }
                try {
                    restore(command, locator);
                } catch (SyncException e) {
                    failure.add(e);
                } catch (java.io.UncheckedIOException | IndexOutOfBoundsException e) {
                    indexFailure.add(e); // rows read back from the files do not hold together
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new SyncException(SyncError.STORAGE, "cannot read the store of graph " + id + ": " + e.getMessage(), e);
        }
        if (!failure.isEmpty()) {
            throw failure.get(0);
        }
        if (!indexFailure.isEmpty()) {
            throw indexFailure.get(0);
        }
    }

    /** Commands between checkpoints while the graph runs, and the replay at open that earns one. */
    private static final int CHECKPOINT_COMMANDS = 1 << 16;

    /**
     * Saves a checkpoint of the index as it is now (no batch in progress; under the commit
     * lock, or while opening). The rows and table go to disk first, so the checkpoint never
     * names a row or table number that a power loss could take back. clean: nothing is added
     * to the table before the next checkpoint (the graph is closing, or {@link #markDirty}
     * runs first).
     */
    private void saveCheckpoint(boolean clean) {
        try {
            writeCheckpoint(clean);
        } catch (IOException | RuntimeException e) {
            checkpointing = false;
            System.getLogger(Graph.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot save an index checkpoint of graph " + id + "; the next open replays the batches stored since the last one", e);
        }
    }

    private void writeCheckpoint(boolean clean) throws IOException {
        index.force();
        List<Integer> granting = new ArrayList<>(grantedByCommand.keySet());
        granting.sort(null);
        int bytes = 1 + 4 + index.stateBytes();
        for (int n : granting) {
            bytes += 4 + 1 + 32 * grantedByCommand.get(n).size();
        }
        ByteBuffer state = ByteBuffer.allocate(bytes);
        state.put((byte) (clean ? 1 : 0)).putInt(granting.size());
        for (int n : granting) {
            List<KeyId> keys = grantedByCommand.get(n);
            state.putInt(n).put((byte) keys.size());
            for (KeyId key : keys) {
                key.copyTo(state.array(), state.position());
                state.position(state.position() + 32);
            }
        }
        index.saveState(state);
        indexFiles.save(indexTag, storedEnd, state.flip(), index.areas());
        checkpointed = index.size();
        savedClean = clean;
    }

    /**
     * Before the table gains a number while the checkpoint on disk says it holds none at or
     * above its size: says otherwise on disk first, so that an open after a crash clears such
     * numbers. If that cannot be saved, the checkpoint is discarded (the next open rebuilds);
     * if not even that works, nothing may be added.
     */
    private void markDirty() throws SyncException {
        try {
            writeCheckpoint(false);
            return;
        } catch (IOException | RuntimeException e) {
            checkpointing = false;
            System.getLogger(Graph.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot save an index checkpoint of graph " + id + "; discarding it, so the next open rebuilds the index", e);
        }
        try {
            indexFiles.discard();
            savedClean = false;
            checkpointed = -1;
        } catch (IOException e) {
            throw new SyncException(SyncError.STORAGE, "cannot update or discard the index checkpoint of graph " + id, e);
        }
    }

    /** Adds a stored command to the index and returns its number. */
    private int restore(Command command, long locator) throws SyncException {
        int[] parents = resolveParents(command, SyncError.STORAGE);
        if (command.parent() instanceof Prior.None && !command.id().equals(id.initId())) {
            throw new SyncException(SyncError.STORAGE, "store of graph " + id + " holds a foreign init command " + command.id());
        }
        int n = index.add(command, locator, parents[0], parents[1]);
        if (!command.isMerge()) {
            SignedContent content;
            try {
                content = SignedContent.decode(command.payload());
            } catch (SyncException e) {
                throw new SyncException(SyncError.STORAGE, "stored command " + command.id() + " does not decode", e);
            }
            recordGrants(command, content, n, null);
        }
        return n;
    }

    private void addGrant(KeyId key, int n) {
        grants.computeIfAbsent(key, k -> new IntList(1)).add(n);
        grantedByCommand.computeIfAbsent(n, k -> new ArrayList<>(1)).add(key);
    }

    /** {@return the id of this graph (its init command's id)} */
    public GraphId id() {
        return id;
    }

    /** {@return whether the graph has no commands yet (not even its init command)} */
    public boolean isEmpty() {
        return size() == 0;
    }

    /** {@return the number of commands, merges included} */
    public int size() {
        return read(index::size);
    }

    /**
     * {@return the heads (the commands no other command names as a parent), ascending by id;
     * empty if the graph has no commands yet} Two replicas hold the same commands exactly when they
     * hold the same heads.
     */
    public List<Address> heads() {
        return read(() -> addresses(sortedHeads()));
    }

    /**
     * {@return the address that stands for the whole head set (Aranya's "synthetic head"): the head
     * itself when there is one, else the merge the fold (see the class comment) would end
     * with, computed but not stored} Replicas with the same heads get the same address, and a
     * replica that has appended on top of these heads holds it as a real merge command. Empty
     * if the graph has no commands yet.
     */
    public Optional<Address> syntheticHead() {
        return read(() -> {
            int[] heads = sortedHeads();
            if (heads.length == 0) {
                return Optional.<Address>empty();
            }
            return Optional.of(foldedAddress(heads));
        });
    }

    /**
     * {@return whether the command is stored here}
     *
     * @param command the command's id
     */
    public boolean contains(CommandId command) {
        return read(() -> index.indexOf(command) != GraphIndex.NONE);
    }

    /**
     * {@return the address (with its true max cut) of a stored command}
     *
     * @param command the command's id
     */
    public Optional<Address> locate(CommandId command) {
        return read(() -> {
            int n = index.indexOf(command);
            return n == GraphIndex.NONE ? Optional.<Address>empty() : Optional.of(index.address(n));
        });
    }

    /**
     * {@return the stored command with that id, if any}
     *
     * @param command the command's id
     */
    public Optional<Command> command(CommandId command) {
        return read(() -> {
            int n = index.indexOf(command);
            return n == GraphIndex.NONE ? Optional.<Command>empty() : Optional.of(index.command(n));
        });
    }

    /**
     * {@return whether a is an ancestor of, or equal to, b; false if either is not stored here}
     *
     * @param a the possible ancestor
     * @param b the possible descendant
     */
    public boolean isAncestorOrEqual(Address a, Address b) {
        return read(() -> {
            int na = resolve(a);
            int nb = resolve(b);
            return na != GraphIndex.NONE && nb != GraphIndex.NONE && index.isAncestorOrEqual(na, nb);
        });
    }

    /**
     * The given addresses that are stored here (at that max cut) and not an ancestor of another
     * of them, each once, highest max cut first, at most limit: what a peer cache keeps of what
     * a peer is known to hold. One read lock for the whole set.
     *
     * @param addresses the addresses a peer is known to hold
     * @param limit the most addresses to return
     * @return those addresses, as described
     */
    public List<Address> newest(Collection<Address> addresses, int limit) {
        return read(() -> {
            List<Integer> candidates = new ArrayList<>(addresses.size());
            for (Address a : addresses) {
                int n = resolve(a);
                if (n != GraphIndex.NONE) {
                    candidates.add(n);
                }
            }
            candidates.sort(Comparator.comparingLong((Integer n) -> index.maxCut(n)).reversed());
            IntList kept = new IntList();
            for (int n : candidates) {
                if (kept.size() == limit) {
                    break;
                }
                boolean covered = false;
                for (int i = 0; i < kept.size() && !covered; i++) {
                    // An ancestor has a lower max cut, so equal max cuts need no walk.
                    covered = kept.get(i) == n || (index.maxCut(kept.get(i)) > index.maxCut(n) && index.isAncestorOrEqual(n, kept.get(i)));
                }
                if (!covered) {
                    kept.add(n);
                }
            }
            return addresses(kept.toArray());
        });
    }

    /**
     * Every stored command that is neither an ancestor of nor equal to any of the known
     * addresses, parents first. Known addresses this graph does not hold (or whose max cut
     * is wrong) are ignored. This is what a responder sends.
     *
     * @param known the addresses the requester holds (its sample)
     * @return the commands the requester lacks, parents first
     */
    public List<Command> missing(Collection<Address> known) {
        return read(() -> {
            int[] heads = sortedHeads();
            if (heads.length > 1 && known.contains(headSetMarker(heads))) {
                return List.<Command>of(); // the requester holds exactly our heads
            }
            int[] numbers = index.missing(known);
            List<Command> out = new ArrayList<>(numbers.length);
            for (int n : numbers) {
                out.add(index.command(n));
            }
            return out;
        });
    }

    /**
     * The requester's sample, at most limit addresses. With several heads it starts with the
     * head-set marker: the synthetic head's id with max cut 0. No real command has that
     * address (only the init command has max cut 0, and its id is the graph id), so a
     * responder never takes it for a command we hold (one that has merged these heads holds
     * the synthetic head as a real merge, which we lack), while a responder with the same
     * heads builds the same marker and knows we lack nothing, however many heads there are.
     * Then every head (those among the given peer heads first), leaving 10 places, so that a
     * responder that holds them sends exactly what we lack; then the given peer heads that are
     * stored here; then, as Aranya's
     * {@code SyncRequester} does, the heads (and, unlike Aranya, the first commands) of local
     * segments breadth-first back from the heads, skipping what the peer heads cover; then
     * ancestors of the first head at exponentially growing distances, down to the init
     * command, so that a responder that lacks our newest commands still finds a recent common
     * point.
     *
     * @param peerHeads the heads the peer was last known to hold
     * @param limit the most addresses to return
     * @return the sample, as described
     */
    public List<Address> sample(Collection<Address> peerHeads, int limit) {
        return read(() -> {
            List<Address> out = new ArrayList<>(limit);
            int[] heads = sortedHeads();
            if (heads.length > 1 && limit > 1) {
                out.add(headSetMarker(heads));
            }
            int room = limit - out.size();
            java.util.LinkedHashSet<Integer> held = new java.util.LinkedHashSet<>();
            for (Address a : peerHeads) {
                int n = resolve(a);
                if (n != GraphIndex.NONE) {
                    held.add(n);
                }
            }
            // Heads the peer is known to hold first: when they do not all fit, those are the
            // ones that keep the responder from resending.
            java.util.LinkedHashSet<Integer> picked = new java.util.LinkedHashSet<>();
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i < heads.length && picked.size() < room - SAMPLE_PEER_RESERVE; i++) {
                    if (held.contains(heads[i]) == (pass == 0)) {
                        picked.add(heads[i]);
                    }
                }
            }
            IntList cached = new IntList();
            for (int n : held) {
                if (picked.size() < room) {
                    picked.add(n);
                    cached.add(n);
                }
            }
            if (heads.length > 0) {
                int spread = Math.min(SAMPLE_SPREAD, (room - picked.size()) / 2);
                picked.addAll(index.segmentHeadsBreadthFirst(room - picked.size() - spread, cached.toArray()));
                IntList far = index.exponentialAncestors(heads[0], room - picked.size());
                for (int i = 0; i < far.size() && picked.size() < room; i++) {
                    picked.add(far.get(i));
                }
            }
            for (int n : picked) {
                out.add(index.address(n));
            }
            return out;
        });
    }

    /**
     * {@return all commands in braid order (parents first, merges left out), as of this call} With
     * several heads this is the order the graph will have once they are merged, whichever
     * merges do it: merge commands have the lowest priority, so the braid passes through them
     * before any other command and only the heads below them matter.
     *
     * @throws SyncException STORAGE if a stored command cannot be read
     */
    public List<Command> weave() throws SyncException {
        Lock r = lock.readLock();
        r.lock();
        try {
            int[] heads = index.heads();
            if (heads.length == 0) {
                return List.of();
            }
            int[] order = Weave.order(index, heads);
            List<Command> out = new ArrayList<>(order.length);
            for (int n : order) {
                out.add(index.command(n));
            }
            return out;
        } finally {
            r.unlock();
        }
    }

    /**
     * Authors a new command on top of the heads, signed by author, and stores it. With several
     * heads it first merges them with the fold (see the class comment) and stores those merges
     * in the same atomic write, before the command.
     *
     * @throws SyncException POLICY_REJECTED if author may not write, STORAGE if it cannot be stored
     * @param author the key that signs the command
     * @param priority its priority in the braid
     * @param kind the command kind
     * @param fields the application data
     * @return the new command
     */
    public Command append(DeviceKey author, Priority priority, String kind, Bytes fields) throws SyncException {
        Committed committed;
        Command appended;
        commitLock.lock(); // no other batch changes the heads until this one is published
        try {
            int[] heads = read(this::sortedHeads);
            if (heads.length == 0) {
                throw new SyncException(SyncError.NO_SUCH_GRAPH, "graph " + id + " has no init command yet");
            }
            List<Command> batch = foldMerges(heads);
            Address parent = batch.isEmpty() ? read(() -> index.address(heads[0])) : batch.getLast().address();
            Command command = Command.action(author, parent, priority, kind, fields);
            batch.add(command);
            SignedContent[] contents = new SignedContent[batch.size()];
            contents[batch.size() - 1] = command.verify().orElseThrow();
            committed = commit(batch, contents);
            appended = command;
        } finally {
            commitLock.unlock();
        }
        notifyListeners(committed);
        return appended;
    }

    /**
     * Adds received commands as one atomic, durable batch; see the class comment.
     *
     * @param batch the commands, parents before children
     * @return which commands were new
     * @throws SyncException if a command is malformed, badly signed, not allowed by the policy
     *     or lacks a parent (then nothing of the batch is kept), or STORAGE
     */
    public AddResult addCommands(List<Command> batch) throws SyncException {
        SignedContent[] contents = verifyNew(batch);
        Committed committed = commit(batch, contents);
        notifyListeners(committed);
        return committed.result();
    }

    /**
     * Calls listener after every committed batch, received or local, with the batch's new
     * commands in order (merge commands left out). It runs on the committing thread after the
     * graph is unlocked, so it may read the graph; it should return quickly. Close the
     * returned handle to stop the calls.
     *
     * @param listener called with each committed batch's new commands
     * @return a handle that stops the calls when closed
     */
    public AutoCloseable onCommitted(java.util.function.Consumer<List<Command>> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return () -> listeners.remove(listener);
    }

    private void notifyListeners(Committed committed) {
        if (committed.added().isEmpty() || listeners.isEmpty()) {
            return;
        }
        List<Command> visible = committed.added().stream().filter(c -> !c.isMerge()).toList();
        for (var listener : listeners) {
            try {
                listener.accept(visible);
            } catch (RuntimeException e) {
                System.getLogger(Graph.class.getName()).log(System.Logger.Level.WARNING, "a commit listener of graph " + id + " failed", e);
            }
        }
    }

    /** Checks ids and signatures of the commands not stored yet; merges get null. */
    private SignedContent[] verifyNew(List<Command> batch) throws SyncException {
        SignedContent[] contents = new SignedContent[batch.size()];
        SyncException[] errors = new SyncException[batch.size()];
        IntConsumer verifyOne = i -> {
            Command c = batch.get(i);
            if (!contains(c.id())) {
                try {
                    contents[i] = c.verify().orElse(null);
                } catch (SyncException e) {
                    errors[i] = e;
                }
            }
        };
        if (batch.size() < PARALLEL_VERIFY_MIN) {
            IntStream.range(0, batch.size()).forEach(verifyOne);
        } else {
            int parts = Math.min(VERIFY_PARTS, batch.size() / PARALLEL_VERIFY_MIN);
            CompletableFuture<?>[] running = new CompletableFuture<?>[parts];
            for (int p = 0; p < parts; p++) {
                int from = (int) ((long) batch.size() * p / parts);
                int to = (int) ((long) batch.size() * (p + 1) / parts);
                running[p] = CompletableFuture.runAsync(() -> IntStream.range(from, to).forEach(verifyOne), verifier);
            }
            CompletableFuture.allOf(running).join();
        }
        for (SyncException e : errors) {
            if (e != null) {
                throw e;
            }
        }
        return contents;
    }

    /**
     * A checked batch, not yet stored: the new commands, their parents' numbers and the keys
     * they grant, to be published exactly as checked (nothing else changes the index between
     * the check and the publication: both happen under the commit lock).
     */
    private record Prepared(List<Command> added, int first, int[] parentA, int[] parentB, List<List<KeyId>> granted, List<Address> heads) {}

    /**
     * Checks the batch under the write lock, stores it with only the commit lock held (so
     * readers go on while it is written and fsync'd), then publishes it under the write lock.
     * Readers never see a command that is not durable yet.
     */
    private Committed commit(List<Command> batch, SignedContent[] contents) throws SyncException {
        commitLock.lock();
        try {
            if (closed) {
                throw new SyncException(SyncError.STORAGE, "graph " + id + " is closed");
            }
            if (savedClean) {
                markDirty(); // prepare adds to the table
            }
            Prepared prepared;
            Lock w = lock.writeLock();
            w.lock();
            try {
                prepared = prepare(batch, contents);
            } catch (java.io.UncheckedIOException e) {
                // The index files could not grow, or are damaged: nothing of the batch was stored.
                throw new SyncException(SyncError.STORAGE, "cannot check a batch against the index of graph " + id + ": " + e.getMessage(), e);
            } finally {
                w.unlock();
            }
            if (prepared.added().isEmpty()) {
                return new Committed(new AddResult(0, prepared.heads()), List.of());
            }
            StoredBatch stored;
            try {
                stored = store.append(prepared.added());
            } catch (IOException e) {
                throw new SyncException(SyncError.STORAGE, "cannot store a batch of graph " + id + ": " + e.getMessage(), e);
            }
            List<Address> heads;
            w.lock();
            try {
                for (int i = 0; i < prepared.added().size(); i++) {
                    int n = index.add(prepared.added().get(i), stored.locators()[i], prepared.parentA()[i], prepared.parentB()[i]);
                    if (n != prepared.first() + i) {
                        throw new IllegalStateException("graph " + id + " changed between checking a batch and publishing it");
                    }
                    for (KeyId key : prepared.granted().get(i)) {
                        addGrant(key, n);
                    }
                }
                heads = addresses(sortedHeads());
            } finally {
                w.unlock();
            }
            storedEnd = stored.end();
            if (indexFiles != null && checkpointing && index.size() - Math.max(0, checkpointed) >= CHECKPOINT_COMMANDS) {
                saveCheckpoint(false);
            }
            return new Committed(new AddResult(prepared.added().size(), heads), prepared.added());
        } finally {
            commitLock.unlock();
        }
    }

    /** Checks every new command of the batch as if it were added, then undoes it all; see {@link Prepared}. */
    private Prepared prepare(List<Command> batch, SignedContent[] contents) throws SyncException {
        GraphIndex.Mark mark = index.mark();
        List<KeyId> grantedInBatch = new ArrayList<>();
        List<Command> added = new ArrayList<>();
        IntList parentA = new IntList();
        IntList parentB = new IntList();
        List<List<KeyId>> granted = new ArrayList<>();
        index.beginPending();
        try {
            for (int i = 0; i < batch.size(); i++) {
                Command c = batch.get(i);
                if (index.indexOf(c.id()) != GraphIndex.NONE) {
                    continue;
                }
                SignedContent content = contents[i];
                if (content == null && !c.isMerge()) {
                    content = c.verify().orElseThrow(); // stored between verifyNew and now
                }
                int grantsBefore = grantedInBatch.size();
                int n = insert(c, content, grantedInBatch);
                added.add(c);
                parentA.add(index.parent(n, 0));
                parentB.add(index.parent(n, 1));
                granted.add(List.copyOf(grantedInBatch.subList(grantsBefore, grantedInBatch.size())));
            }
            List<Address> heads = added.isEmpty() ? addresses(sortedHeads()) : List.of();
            return new Prepared(added, mark.size(), parentA.toArray(), parentB.toArray(), granted, heads);
        } finally {
            undo(mark, grantedInBatch);
            index.endPending();
        }
    }

    /** Checks c against the index and adds it as a command of the batch in progress; returns its number. */
    private int insert(Command c, SignedContent content, List<KeyId> grantedInBatch) throws SyncException {
        if (c.parent() instanceof Prior.None) {
            if (!c.id().equals(id.initId())) {
                throw new SyncException(SyncError.WRONG_GRAPH, "init command " + c.id() + " does not belong to graph " + id);
            }
        } else if (index.size() == 0) {
            throw new SyncException(SyncError.NO_SUCH_PARENT, "graph " + id + " has no init command yet; "
                    + c.id() + " cannot come first");
        }
        int[] parents = resolveParents(c, SyncError.NO_SUCH_PARENT);
        if (content != null) {
            policy.authorize(c, content, policyContext());
        }
        if (c.priority() instanceof Priority.Finalize) {
            IntList finals = index.finalizes();
            for (int i = 0; i < finals.size(); i++) {
                if (!index.isAncestorOrEqual(finals.get(i), parents[0])) {
                    throw new SyncException(SyncError.PARALLEL_FINALIZE, "finalize command " + c.id()
                            + " is concurrent with finalize command " + index.id(finals.get(i)));
                }
            }
        }
        int n = index.addPending(c, parents[0], parents[1]);
        if (content != null) {
            recordGrants(c, content, n, grantedInBatch);
        }
        return n;
    }

    /** Resolves the parents to numbers, checking that each exists with the claimed max cut. */
    private int[] resolveParents(Command c, SyncError missing) throws SyncException {
        int[] out = {GraphIndex.NONE, GraphIndex.NONE};
        List<Address> parents = c.parent().addresses();
        for (int k = 0; k < parents.size(); k++) {
            Address p = parents.get(k);
            int n = index.indexOf(p.id());
            if (n == GraphIndex.NONE) {
                throw new SyncException(missing, "command " + c.id() + " names parent " + p.id() + ", which graph " + id + " does not hold");
            }
            if (index.maxCut(n) != p.maxCut()) {
                throw new SyncException(SyncError.MALFORMED, "command " + c.id() + " gives its parent " + p.id()
                        + " max cut " + p.maxCut() + "; it is " + index.maxCut(n));
            }
            out[k] = n;
        }
        return out;
    }

    private void recordGrants(Command c, SignedContent content, int n, List<KeyId> grantedInBatch) {
        for (KeyId key : policy.grantedKeys(c, content)) {
            addGrant(key, n);
            if (grantedInBatch != null) {
                grantedInBatch.add(key);
            }
        }
    }

    /** The head numbers, ascending by command id: the order the fold starts from. */
    private int[] sortedHeads() {
        return IntStream.of(index.heads()).boxed().sorted(Comparator.comparing(index::id)).mapToInt(Integer::intValue).toArray();
    }

    private List<Address> addresses(int[] numbers) {
        List<Address> out = new ArrayList<>(numbers.length);
        for (int n : numbers) {
            out.add(index.address(n));
        }
        return List.copyOf(out);
    }

    /**
     * The merge commands of the fold over heads (sorted by id), in the order they must be
     * stored: the last one is the single parent of whatever is appended next. Empty for one head.
     */
    private List<Command> foldMerges(int[] heads) {
        List<Command> merges = new ArrayList<>(Math.max(0, heads.length - 1));
        java.util.ArrayDeque<Address> queue = new java.util.ArrayDeque<>();
        for (int h : heads) {
            queue.add(index.address(h));
        }
        while (queue.size() > 1) {
            Command m = Command.merge(queue.poll(), queue.poll());
            merges.add(m);
            queue.add(m.address());
        }
        return merges;
    }

    /** The sample entry that says "my heads are exactly these": see {@link #sample}. */
    private Address headSetMarker(int[] heads) {
        return new Address(foldedAddress(heads).id(), 0);
    }

    /**
     * Where the fold over heads (sorted by id) ends: the head itself, or the last merge's
     * address. Every sync asks for it (sample and responder), so the last answer is kept with
     * the head ids it was computed for.
     */
    private Address foldedAddress(int[] heads) {
        if (heads.length == 1) {
            return index.address(heads[0]);
        }
        List<CommandId> ids = new ArrayList<>(heads.length);
        for (int h : heads) {
            ids.add(index.id(h));
        }
        Folded last = folded;
        if (last != null && last.heads().equals(ids)) {
            return last.end();
        }
        Address end = foldMerges(heads).getLast().address();
        folded = new Folded(ids, end);
        return end;
    }

    private void undo(GraphIndex.Mark mark, List<KeyId> grantedInBatch) {
        index.rollback(mark);
        for (KeyId key : grantedInBatch) {
            IntList list = grants.get(key);
            int keep = list.size();
            while (keep > 0 && list.get(keep - 1) >= mark.size()) {
                keep--;
            }
            list.truncate(keep);
        }
        if (!grantedInBatch.isEmpty()) {
            grantedByCommand.keySet().removeIf(n -> n >= mark.size());
        }
    }

    private PolicyContext policyContext() {
        return new PolicyContext() {
            @Override
            public List<CommandId> grantsOf(KeyId key) {
                IntList list = grants.get(key);
                if (list == null) {
                    return List.of();
                }
                List<CommandId> out = new ArrayList<>(list.size());
                for (int i = 0; i < list.size(); i++) {
                    out.add(index.id(list.get(i)));
                }
                return out;
            }

            @Override
            public boolean isAncestorOrEqual(CommandId ancestor, CommandId descendant) {
                int a = index.indexOf(ancestor);
                int d = index.indexOf(descendant);
                if (a == GraphIndex.NONE || d == GraphIndex.NONE) {
                    throw new IllegalArgumentException("policy asked about a command that is not present");
                }
                return index.isAncestorOrEqual(a, d);
            }
        };
    }

    private int resolve(Address a) {
        int n = index.indexOf(a.id());
        return n != GraphIndex.NONE && index.maxCut(n) == a.maxCut() ? n : GraphIndex.NONE;
    }

    private <T> T read(java.util.function.Supplier<T> query) {
        Lock r = lock.readLock();
        r.lock();
        try {
            return query.get();
        } finally {
            r.unlock();
        }
    }

    /**
     * Saves a checkpoint of the index (when the store offers index files and anything changed
     * since the last one), so that the next open replays nothing, and closes the store.
     */
    @Override
    public void close() throws SyncException {
        commitLock.lock();
        try {
            closed = true;
            if (indexFiles != null && checkpointing && index.size() > 0 && (index.size() != checkpointed || !savedClean)) {
                saveCheckpoint(true);
            }
        } finally {
            commitLock.unlock();
        }
        try {
            store.close();
        } catch (IOException e) {
            throw new SyncException(SyncError.STORAGE, "cannot close the store of graph " + id, e);
        }
    }
}
