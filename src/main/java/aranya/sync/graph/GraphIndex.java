package aranya.sync.graph;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The in-memory index of one graph, in primitive arrays: about 51 bytes of heap per command
 * and none per command body. Commands get dense numbers in insertion order, so parents are
 * numbered before children. Per command it keeps the first 8 bytes of the id, the store's
 * locator of the command, both parents, the max cut, the segment, a first-parent depth and
 * jump pointer, and the basic priority value (finalize and has-children are bits). Bodies
 * (and full ids) are read from the store on demand through a small cache.
 *
 * <p>Ids are found through an open-addressing table of numbers, probed by a seeded hash of
 * the id prefix (a peer cannot grind ids into one probe run without knowing the seed); a
 * prefix match is confirmed against the full id read from the store, so a shared prefix
 * never confuses two commands.
 *
 * <p>Commands are grouped into segments: chains in which every command's only parent is the
 * previous command. Within a segment the max cut grows by one per command, so a command's
 * position in its segment is its max cut minus the first command's. Segment boundaries are
 * local to this replica (as in Aranya) and never leave it.
 *
 * <p>{@link Graph} guards it with a read-write lock (readers may run together; the
 * is-ancestor memo and the body cache are safe for concurrent readers). Changes made during
 * a batch can be undone with {@link #mark()} and {@link #rollback(Mark)}.
 */
final class GraphIndex implements DagView {
    static final int NONE = -1;
    /** Commands whose policy and payload together are larger are read from the store every time. */
    private static final int CACHED_BODY_MAX = 4096;
    /** Slots of the body cache (direct-mapped by command number). */
    private static final int CACHE_SLOTS = 2048;

    /** Reads a command's body by its locator. */
    interface Bodies {
        Command read(long locator) throws IOException;
    }

    private final Bodies bodies;
    private final long seed = ThreadLocalRandom.current().nextLong();

    private long[] idPrefix = new long[1024];
    private long[] locators = new long[1024];
    private int[] parentA = new int[1024];
    private int[] parentB = new int[1024];
    private int[] maxCuts = new int[1024];
    private int[] segmentOf = new int[1024];
    /** First-parent depth and Myers' skew-binary jump pointer: level ancestors in O(log n). */
    private int[] depth = new int[1024];
    private int[] jump = new int[1024];
    /** The value of a basic priority; unused for other priorities. */
    private int[] basicValue = new int[1024];
    private long[] hasChildren = new long[16];
    private long[] finalizeBits = new long[16];
    private int size;
    /** See {@link #beginBulk}. */
    private boolean bulk;
    /** In bulk, the table is built only when first needed (or at the end). */
    private boolean tableDeferred;

    /** Numbers + 1 (0 = empty), linear probing; at most 3/4 full. */
    private int[] table = new int[2048];

    private int[] segmentFirst = new int[256];
    private int[] segmentLast = new int[256];
    private int segmentCount;

    /** Commands without children. */
    private final Set<Integer> heads = new LinkedHashSet<>();
    private final IntList finalizes = new IntList();

    /** Bodies of commands of the batch in progress, not in the store yet: numbers from pendingFrom on. */
    private final List<Command> pending = new ArrayList<>();
    private int pendingFrom = Integer.MAX_VALUE;

    private record Cached(int number, Command command) {}

    private final AtomicReferenceArray<Cached> cache = new AtomicReferenceArray<>(CACHE_SLOTS);

    /**
     * For recently asked ancestors, the segments known to descend from them (least recently
     * used first, bounded). Only ever true facts: segments are append-only, and rollback
     * clears the numbers of the segments it removes.
     */
    private final Map<Integer, java.util.BitSet> descendantSegments = new RecentAncestors();
    /** Readers share the graph's read lock and all update the memo, so it has a lock of its own. */
    private final java.util.concurrent.locks.ReentrantLock memoLock = new java.util.concurrent.locks.ReentrantLock();

    /** An access-ordered map that forgets its least recently used entry beyond 256. */
    private static final class RecentAncestors extends java.util.LinkedHashMap<Integer, java.util.BitSet> {
        private static final long serialVersionUID = 1L;

        RecentAncestors() {
            super(16, 0.75f, true);
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, java.util.BitSet> eldest) {
            return size() > 256;
        }
    }

    /** Undo log since the last mark (not kept in bulk): pairs (segment, old last command) of extended segments. */
    private final IntList extensions = new IntList();
    /** Undo log since the last mark: commands that got their first child. */
    private final IntList gotChildren = new IntList();

    /** A point to roll back to. */
    record Mark(int size, int segmentCount, int finalizeCount, int[] heads) {}

    GraphIndex(Bodies bodies) {
        this.bodies = bodies;
    }

    int size() {
        return size;
    }

    /** The command numbered n, from the batch in progress, the cache or the store. */
    Command command(int n) {
        if (n >= pendingFrom) {
            return pending.get(n - pendingFrom);
        }
        int slot = n & (CACHE_SLOTS - 1);
        Cached hit = cache.get(slot);
        if (hit != null && hit.number() == n) {
            return hit.command();
        }
        Command c;
        try {
            c = bodies.read(locators[n]);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read command " + n + " of the graph from its store", e);
        }
        remember(n, c);
        return c;
    }

    private void remember(int n, Command c) {
        if (c.policy().length() + c.payload().length() <= CACHED_BODY_MAX) {
            cache.set(n & (CACHE_SLOTS - 1), new Cached(n, c));
        }
    }

    /** The number of the command with this id, or {@link #NONE}. */
    int indexOf(CommandId id) {
        if (tableDeferred) {
            buildTable();
        }
        long prefix = prefixOf(id);
        int mask = table.length - 1;
        for (int slot = hash(prefix) & mask; ; slot = (slot + 1) & mask) {
            int v = table[slot];
            if (v == 0) {
                return NONE;
            }
            int n = v - 1;
            if (idPrefix[n] == prefix && command(n).id().equals(id)) {
                return n;
            }
        }
    }

    static long prefixOf(CommandId id) {
        long p = 0;
        for (int i = 0; i < 8; i++) {
            p = (p << 8) | (id.byteAt(i) & 0xFF);
        }
        return p;
    }

    private int hash(long prefix) {
        long h = (prefix ^ seed) * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h >>> 32);
    }

    long maxCut(int n) {
        return maxCuts[n];
    }

    long locator(int n) {
        return locators[n];
    }

    Address address(int n) {
        return new Address(id(n), maxCuts[n]);
    }

    int[] heads() {
        return heads.stream().mapToInt(Integer::intValue).toArray();
    }

    IntList finalizes() {
        return finalizes;
    }

    @Override
    public int parentCount(int node) {
        return parentA[node] == NONE ? 0 : parentB[node] == NONE ? 1 : 2;
    }

    @Override
    public int parent(int node, int k) {
        return k == 0 ? parentA[node] : parentB[node];
    }

    /**
     * Derived from the parents (a command without parents is the init command, one with two
     * is a merge: {@link Command#verify} holds every stored command to that) and the bits.
     */
    @Override
    public Priority priority(int node) {
        if (parentA[node] == NONE) {
            return Priority.INIT;
        }
        if (parentB[node] != NONE) {
            return Priority.MERGE;
        }
        return bit(finalizeBits, node) ? Priority.FINALIZE : Priority.basic(Integer.toUnsignedLong(basicValue[node]));
    }

    @Override
    public CommandId id(int node) {
        return command(node).id();
    }

    /** By id prefix, and only on a tie (one in 2^64) by the full ids. */
    @Override
    public int compareIds(int a, int b) {
        int c = Long.compareUnsigned(idPrefix[a], idPrefix[b]);
        return c != 0 || a == b ? c : id(a).compareTo(id(b));
    }

    Mark mark() {
        extensions.truncate(0);
        gotChildren.truncate(0);
        return new Mark(size, segmentCount, finalizes.size(), heads());
    }

    /**
     * Makes the commands added from now on readable before they are in the store: the batch in
     * progress. {@link #endPending} ends it (after a rollback, or once they are stored).
     */
    void beginPending() {
        pending.clear();
        pendingFrom = size;
    }

    void endPending() {
        pending.clear();
        pendingFrom = Integer.MAX_VALUE;
    }

    /** Appends a command of the batch in progress (see {@link #beginPending}). */
    int addPending(Command command, int pa, int pb) {
        pending.add(command);
        return add(prefixOf(command.id()), -1, pa, pb, command.priority());
    }

    /** Appends a stored command whose parents (by number, NONE for absent) are already present. */
    int add(Command command, long locator, int pa, int pb) {
        int n = add(prefixOf(command.id()), locator, pa, pb, command.priority());
        remember(n, command);
        return n;
    }

    /** Appends a command known by its id prefix and locator; its parents are already present. */
    int add(long prefix, long locator, int pa, int pb, Priority priority) {
        return add(prefix, locator, pa, pb, priority instanceof Priority.Finalize,
                priority instanceof Priority.Basic(long v) ? (int) v : 0);
    }

    /**
     * As {@link #add(long, long, int, int, Priority)} with the priority as the index keeps it
     * (see {@link #priority}): whether it is finalize, and the basic value.
     */
    int add(long prefix, long locator, int pa, int pb, boolean finalize, int basic) {
        ensureCapacity(size + 1);
        int n = size;
        idPrefix[n] = prefix;
        locators[n] = locator;
        parentA[n] = pa;
        parentB[n] = pb;
        maxCuts[n] = pa == NONE ? 0 : 1 + Math.max(maxCuts[pa], pb == NONE ? 0 : maxCuts[pb]);
        if (pa == NONE) {
            depth[n] = 0;
            jump[n] = n;
        } else {
            depth[n] = depth[pa] + 1;
            int j = jump[pa];
            jump[n] = depth[pa] - depth[j] == depth[j] - depth[jump[j]] ? jump[j] : pa;
        }
        basicValue[n] = basic;
        setBit(hasChildren, n, false);
        setBit(finalizeBits, n, finalize);
        if (pa != NONE && pb == NONE && !bit(hasChildren, pa)) {
            // pa has no child yet, so it is the last command of its segment: extend it.
            int segment = segmentOf[pa];
            if (!bulk) {
                extensions.add(segment);
                extensions.add(segmentLast[segment]);
            }
            segmentOf[n] = segment;
            segmentLast[segment] = n;
        } else {
            if (segmentCount == segmentFirst.length) {
                segmentFirst = Arrays.copyOf(segmentFirst, segmentCount * 2);
                segmentLast = Arrays.copyOf(segmentLast, segmentCount * 2);
            }
            segmentFirst[segmentCount] = n;
            segmentLast[segmentCount] = n;
            segmentOf[n] = segmentCount++;
        }
        gainsChild(pa);
        gainsChild(pb);
        if (!bulk) {
            heads.add(n);
        }
        if (finalize) {
            finalizes.add(n);
        }
        size++;
        if (tableDeferred) {
            return n;
        }
        if (size * 4L > table.length * 3L) {
            rehash(table.length * 2);
        } else {
            place(n);
        }
        return n;
    }

    private void gainsChild(int p) {
        if (p != NONE && !bit(hasChildren, p)) {
            setBit(hasChildren, p, true);
            if (!bulk) {
                gotChildren.add(p);
                heads.remove(p);
            }
        }
    }

    /**
     * Starts adding many commands at once (a graph being opened): the head set is left alone
     * until {@link #endBulk} rebuilds it, the id table until the first lookup, and nothing is
     * kept for a rollback.
     */
    void beginBulk() {
        bulk = true;
        tableDeferred = true;
    }

    /** Places every command in a table sized for them at once: cheaper than growing it step by step. */
    private void buildTable() {
        tableDeferred = false;
        int slots = table.length;
        while (size * 4L > slots * 3L) {
            slots *= 2;
        }
        rehash(slots);
    }

    /** Ends {@link #beginBulk}: the heads are the commands without children, ascending, as adding them one by one leaves them. */
    void endBulk() {
        if (tableDeferred) {
            buildTable();
        }
        int fit = Math.max(1024, size + (size >> 4));
        if (idPrefix.length > fit + (fit >> 2)) {
            resize(fit); // a reservation much larger than what came
        }
        bulk = false;
        gotChildren.truncate(0);
        extensions.truncate(0);
        heads.clear();
        for (int n = 0; n < size; n++) {
            if (!bit(hasChildren, n)) {
                heads.add(n);
            }
        }
    }

    private void place(int n) {
        int mask = table.length - 1;
        int slot = hash(idPrefix[n]) & mask;
        while (table[slot] != 0) {
            slot = (slot + 1) & mask;
        }
        table[slot] = n + 1;
    }

    private void rehash(int capacity) {
        table = new int[capacity];
        for (int n = 0; n < size; n++) {
            place(n);
        }
    }

    /**
     * Removes the most recently added command from the table. With linear probing, clearing
     * its slot is enough: every command still present was placed before it, so no probe run
     * of theirs passes through that slot.
     */
    private void unplace(int n) {
        int mask = table.length - 1;
        int slot = hash(idPrefix[n]) & mask;
        while (table[slot] != n + 1) {
            slot = (slot + 1) & mask;
        }
        table[slot] = 0;
    }

    private static boolean bit(long[] bits, int n) {
        return (bits[n >>> 6] & (1L << n)) != 0;
    }

    private static void setBit(long[] bits, int n, boolean on) {
        if (on) {
            bits[n >>> 6] |= 1L << n;
        } else {
            bits[n >>> 6] &= ~(1L << n);
        }
    }

    /** Forgets every command added since the mark. */
    void rollback(Mark mark) {
        for (int n = size - 1; n >= mark.size(); n--) {
            unplace(n);
            Cached c = cache.get(n & (CACHE_SLOTS - 1));
            if (c != null && c.number() == n) {
                cache.compareAndSet(n & (CACHE_SLOTS - 1), c, null);
            }
        }
        for (int i = 0; i < gotChildren.size(); i++) {
            setBit(hasChildren, gotChildren.get(i), false);
        }
        gotChildren.truncate(0);
        size = mark.size();
        segmentCount = mark.segmentCount();
        descendantSegments.keySet().removeIf(n -> n >= mark.size());
        for (java.util.BitSet known : descendantSegments.values()) {
            known.clear(mark.segmentCount(), Math.max(mark.segmentCount(), known.length()));
        }
        for (int i = extensions.size() - 2; i >= 0; i -= 2) {
            int segment = extensions.get(i);
            if (segment < mark.segmentCount()) {
                segmentLast[segment] = extensions.get(i + 1);
            }
        }
        extensions.truncate(0);
        finalizes.truncate(mark.finalizeCount());
        heads.clear();
        for (int h : mark.heads()) {
            heads.add(h);
        }
    }

    private int positionOf(int n) {
        return maxCuts[n] - maxCuts[segmentFirst[segmentOf[n]]];
    }

    /**
     * Whether a is an ancestor of b or equal to it. The init command is everyone's ancestor.
     * Otherwise walks back from b segment by segment, highest max cut first, skipping segments
     * already seen and everything below a's max cut, and stopping early at a segment already
     * known to descend from a: policies ask about the same few grant commands over and over,
     * so after the first walk each answer takes a step or two however large the graph is.
     */
    boolean isAncestorOrEqual(int a, int b) {
        if (a == b || parentA[a] == NONE) {
            return true;
        }
        long target = maxCuts[a];
        if (target >= maxCuts[b]) {
            return false;
        }
        int targetSegment = segmentOf[a];
        PriorityQueue<Integer> frontier = new PriorityQueue<>(Comparator.comparingLong((Integer n) -> maxCuts[n]).reversed());
        Set<Integer> seenSegments = new HashSet<>();
        frontier.add(b);
        while (!frontier.isEmpty()) {
            int n = frontier.poll();
            int segment = segmentOf[n];
            if (segment == targetSegment) {
                // The highest location reached in a's segment comes first: decide here.
                return maxCuts[n] >= maxCuts[a] && remember(a, segmentOf[b]);
            }
            if (knownDescendant(a, segment)) {
                return remember(a, segmentOf[b]);
            }
            if (!seenSegments.add(segment)) {
                continue;
            }
            int first = segmentFirst[segment];
            for (int k = 0; k < parentCount(first); k++) {
                int p = parent(first, k);
                if (maxCuts[p] >= target) {
                    frontier.add(p);
                }
            }
        }
        return false;
    }

    /**
     * Records that segment descends from a. True for the whole segment when a lies outside it,
     * because every path out of a segment leaves through its first command.
     */
    private boolean remember(int a, int segment) {
        if (segment != segmentOf[a]) {
            memoLock.lock();
            try {
                descendantSegments.computeIfAbsent(a, k -> new java.util.BitSet()).set(segment);
            } finally {
                memoLock.unlock();
            }
        }
        return true;
    }

    private boolean knownDescendant(int a, int segment) {
        memoLock.lock();
        try {
            java.util.BitSet known = descendantSegments.get(a);
            return known != null && known.get(segment);
        } finally {
            memoLock.unlock();
        }
    }

    /**
     * The responder's query: every command that is neither an ancestor of nor equal to any
     * of the given commands, parents first. Walks back from the heads over segments in
     * descending max cut, carrying a covered flag (ancestor of a known command) and deciding
     * each segment's range only after every location above it is done, as Aranya's
     * find_needed_segments does. It stops once nothing uncovered is left that could matter,
     * so its cost grows with the answer and the segments next to it, not with the graph.
     * Known addresses are looked up only when the walk reaches their max cut (as claimed; a
     * wrong claim makes the address unknown): most of a requester's sample lies far below
     * where the walk stops, and on a large graph each lookup is a read from the store.
     */
    int[] missing(Collection<Address> known) {
        /** unresolved: a known address not looked up yet (node unset then). */
        record Entry(long maxCut, int node, boolean covered, Address unresolved) {}
        PriorityQueue<Entry> queue = new PriorityQueue<>(Comparator.comparingLong(Entry::maxCut).reversed());
        // segment -> {highest needed position, highest covered position, the command at the highest needed position}
        Map<Integer, int[]> reach = new HashMap<>();
        int uncoveredQueued = 0;
        long lowestNeededStart = Long.MAX_VALUE;

        for (int h : heads) {
            queue.add(new Entry(maxCuts[h], h, false, null));
            uncoveredQueued++;
        }
        for (Address a : known) {
            queue.add(new Entry(a.maxCut(), NONE, true, a));
        }
        while (!queue.isEmpty()) {
            if (uncoveredQueued == 0 && queue.peek().maxCut() < lowestNeededStart) {
                break; // what is left lies below every needed range and can change none of them
            }
            Entry e = queue.poll();
            if (e.unresolved() != null) {
                int k = indexOf(e.unresolved().id());
                if (k == NONE || maxCuts[k] != e.maxCut()) {
                    continue; // not held here, or not at that max cut: ignored, as the caller asked
                }
                e = new Entry(maxCuts[k], k, true, null);
            }
            int segment = segmentOf[e.node()];
            int position = positionOf(e.node());
            int[] r = reach.computeIfAbsent(segment, s -> new int[] {-1, -1, NONE});
            int first = segmentFirst[segment];
            if (e.covered()) {
                if (r[1] >= position) {
                    continue;
                }
                boolean firstCover = r[1] < 0;
                r[1] = position;
                if (firstCover) {
                    for (int k = 0; k < parentCount(first); k++) {
                        int p = parent(first, k);
                        queue.add(new Entry(maxCuts[p], p, true, null));
                    }
                }
            } else {
                uncoveredQueued--;
                if (r[0] >= position) {
                    continue;
                }
                boolean firstReach = r[0] < 0;
                r[0] = position;
                r[2] = e.node();
                if (firstReach) {
                    lowestNeededStart = Math.min(lowestNeededStart, maxCuts[first]);
                    if (r[1] < 0) {
                        for (int k = 0; k < parentCount(first); k++) {
                            int p = parent(first, k);
                            queue.add(new Entry(maxCuts[p], p, false, null));
                            uncoveredQueued++;
                        }
                    }
                }
            }
        }
        // Ranges sorted by the max cut of their first command are in parents-first order.
        List<int[]> ranges = new ArrayList<>(); // {segment, count, top command, max cut of the first command sent}
        int total = 0;
        for (Map.Entry<Integer, int[]> e : reach.entrySet()) {
            int[] r = e.getValue();
            if (r[0] > r[1]) {
                int count = r[0] - r[1];
                ranges.add(new int[] {e.getKey(), count, r[2], maxCuts[r[2]] - count + 1});
                total += count;
            }
        }
        ranges.sort(Comparator.<int[]>comparingInt(r -> r[3]).thenComparingInt(r -> r[0]));
        int[] out = new int[total];
        int i = 0;
        for (int[] r : ranges) {
            // Within a segment each command's only parent is the one before it.
            int n = r[2];
            for (int k = r[1] - 1; k >= 0; k--) {
                out[i + k] = n;
                n = parentA[n];
            }
            i += r[1];
        }
        return out;
    }

    /** The last and first command of each segment, breadth-first back from the heads: the requester's sample. */
    List<Integer> segmentHeadsBreadthFirst(int limit, int[] skipBelow) {
        List<Integer> out = new ArrayList<>();
        Set<Integer> seenSegments = new HashSet<>();
        java.util.ArrayDeque<Integer> queue = new java.util.ArrayDeque<>();
        for (int h : heads) {
            queue.add(h);
        }
        while (!queue.isEmpty() && out.size() < limit) {
            int n = queue.poll();
            int segment = segmentOf[n];
            if (!seenSegments.add(segment)) {
                continue;
            }
            boolean covered = false;
            for (int s : skipBelow) {
                if (isAncestorOrEqual(n, s)) {
                    covered = true;
                    break;
                }
            }
            if (covered) {
                continue;
            }
            int last = segmentLast[segment];
            out.add(last);
            int first = segmentFirst[segment];
            // A segment usually starts where two peers last agreed (a merge or a fork), so its
            // first command is worth a place too: Aranya's sample names only the last.
            if (first != last && out.size() < limit) {
                out.add(first);
            }
            for (int k = 0; k < parentCount(first); k++) {
                queue.add(parent(first, k));
            }
        }
        return out;
    }

    /**
     * Ancestors of from at distances 1, 2, 4, 8, ... along first parents, ending with the init
     * command: a responder that does not know our newest commands still finds a point close
     * to where we diverged, so it resends little. Jump pointers make each step O(log n).
     */
    IntList exponentialAncestors(int from, int limit) {
        IntList out = new IntList();
        long distance = 1;
        while (out.size() < limit) {
            long target = Math.max(0, depth[from] - distance);
            int n = from;
            while (depth[n] > target) {
                n = depth[jump[n]] >= target ? jump[n] : parentA[n];
            }
            out.add(n);
            if (target == 0) {
                break;
            }
            distance <<= 1;
        }
        return out;
    }

    private void ensureCapacity(int needed) {
        if (needed <= idPrefix.length) {
            return;
        }
        // Grow by half: at a million commands, doubling would leave up to half the arrays unused.
        resize(Math.max(needed, idPrefix.length + (idPrefix.length >> 1)));
    }

    private void resize(int cap) {
        idPrefix = Arrays.copyOf(idPrefix, cap);
        locators = Arrays.copyOf(locators, cap);
        parentA = Arrays.copyOf(parentA, cap);
        parentB = Arrays.copyOf(parentB, cap);
        maxCuts = Arrays.copyOf(maxCuts, cap);
        segmentOf = Arrays.copyOf(segmentOf, cap);
        depth = Arrays.copyOf(depth, cap);
        jump = Arrays.copyOf(jump, cap);
        basicValue = Arrays.copyOf(basicValue, cap);
        hasChildren = Arrays.copyOf(hasChildren, (cap >>> 6) + 1);
        finalizeBits = Arrays.copyOf(finalizeBits, (cap >>> 6) + 1);
    }

    /**
     * Makes room for up to this many commands at once (a graph being opened from its saved
     * index knows about how many it holds); {@link #endBulk} gives back what was not used.
     */
    void reserve(int commands) {
        if (commands > idPrefix.length) {
            resize(commands);
        }
    }

    /** The id prefix of command n, as stored in the persistent index. */
    long idPrefix(int n) {
        return idPrefix[n];
    }
}
