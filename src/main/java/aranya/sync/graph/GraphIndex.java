package aranya.sync.graph;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
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
 * The index of one graph. Commands get dense numbers in insertion order, so parents are
 * numbered before children. Per command it keeps a {@value #ROW}-byte <em>row</em>: the first
 * 8 bytes of the id, the store's locator of the command, both parents, the max cut, the
 * segment, a first-parent depth and jump pointer, the basic priority value and a finalize
 * flag. Rows and the id table live in {@link Region}s, which a file store maps from files
 * ({@link IndexFiles}), so they cost no heap; what stays on the heap is one "has children" bit
 * per command, two numbers per segment, the heads and the finalize commands. Bodies (and full
 * ids) are read from the store on demand through a small cache.
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
 * <p><b>Persistence.</b> A row, once written for a command that stays, never changes; the
 * table only gains numbers in empty slots, loses (on rollback) only the numbers of the
 * commands rolled back, and grows into a new area. {@link #saveState} describes the rest;
 * {@link #restoreState} takes it back over the same areas (see {@code docs/storage.md}).
 * Rows and table are outside the heap's protection: a damaged file can hold any value, so
 * every value read from them that leads elsewhere is checked first (parents and jump pointers
 * point below their command, segment and table numbers below their counts, probes end), and a
 * bad one is an {@link UncheckedIOException} in the reader: no walk loops or leaves the index
 * (a damaged value that passes these checks can still make an answer wrong; see
 * {@code docs/storage.md}).
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

    /** Bytes of a row, and where each field lies in it (every field aligned to its size). */
    static final int ROW = 48;
    private static final int PREFIX = 0;
    private static final int LOCATOR = 8;
    private static final int PARENT_A = 16;
    private static final int PARENT_B = 20;
    private static final int MAX_CUT = 24;
    private static final int SEGMENT = 28;
    /** First-parent depth and Myers' skew-binary jump pointer: level ancestors in O(log n). */
    private static final int DEPTH = 32;
    private static final int JUMP = 36;
    /** The value of a basic priority; unused for other priorities. */
    private static final int BASIC = 40;
    private static final int FLAGS = 44;
    private static final int FINALIZE_FLAG = 1;
    /** The area of the rows. */
    static final String ROWS = "rows";
    private static final int FIRST_TABLE_SLOTS = 2048;

    /** Reads a command's body by its locator. */
    interface Bodies {
        Command read(long locator) throws IOException;
    }

    /** Makes the regions the index keeps its rows and table in. */
    interface Memory {
        /** The region of that area with what it holds; fresh: emptied first. */
        Region open(String area, boolean fresh);

        /** {@return how many bytes the area holds} */
        long size(String area);
    }

    /** Everything on the heap: for stores that offer no index files. */
    static final Memory HEAP = new Memory() {
        @Override
        public Region open(String area, boolean fresh) {
            return new Region(Region.HEAP, 0);
        }

        @Override
        public long size(String area) {
            return 0;
        }
    };

    /** Regions mapped from a store's index files. */
    static Memory mapped(IndexFiles files) {
        return new Memory() {
            @Override
            public Region open(String area, boolean fresh) {
                try {
                    if (fresh) {
                        files.clear(area);
                    }
                    return new Region((offset, length, previous) -> files.map(area, offset, length), files.size(area));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot open the index area " + area + ": " + e.getMessage(), e);
                }
            }

            @Override
            public long size(String area) {
                try {
                    return files.size(area);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the index area " + area + ": " + e.getMessage(), e);
                }
            }
        };
    }

    private final Bodies bodies;
    private final Memory memory;
    private Region rows;
    private Region table;
    /** Slots of the table (a power of two): numbers + 1 (0 = empty), linear probing, at most 3/4 full. */
    private int tableSlots;
    private long seed;

    private long[] hasChildren = new long[16];
    private int size;
    /** See {@link #beginBulk}. */
    private boolean bulk;
    /** In bulk, the table is built only when first needed (or at the end). */
    private boolean tableDeferred;

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

    /** An index in memory; {@link #startEmpty} or {@link #restoreState} gives it its regions. */
    GraphIndex(Bodies bodies, Memory memory) {
        this.bodies = bodies;
        this.memory = memory;
    }

    /** Starts with no commands, in emptied areas. */
    void startEmpty() {
        rows = memory.open(ROWS, true);
        seed = ThreadLocalRandom.current().nextLong();
        tableSlots = FIRST_TABLE_SLOTS;
        table = memory.open(tableArea(tableSlots), true);
        table.ensure(tableSlots * 4L);
    }

    private static String tableArea(int slots) {
        return "table-" + slots;
    }

    /** The areas the index uses now: what a saved state refers to. */
    Set<String> areas() {
        return Set.of(ROWS, tableArea(tableSlots));
    }

    int size() {
        return size;
    }

    /** A damaged row or table: the index and the log no longer agree. */
    private static UncheckedIOException damaged(String what) {
        return new UncheckedIOException(new IOException("the graph's index is damaged: " + what
                + "; it is rebuilt from the log when the graph is next opened without its index files"));
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
        long locator = locator(n);
        Command c;
        try {
            c = bodies.read(locator);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read command " + n + " of the graph from its store", e);
        }
        if (prefixOf(c.id()) != idPrefix(n)) {
            // A cheap check of the rows against the log on every read from the store.
            throw new UncheckedIOException(new IOException("the log and the graph's index disagree at locator " + locator
                    + ": the index's command " + n + " has id prefix " + Long.toHexString(idPrefix(n)) + ", the log holds "
                    + c.id() + " there (damage in the index files or the log)"));
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
        int mask = tableSlots - 1;
        int slot = hash(prefix) & mask;
        for (int probes = 0; probes < tableSlots; probes++, slot = (slot + 1) & mask) {
            int v = table.getInt(slot * 4L);
            if (v == 0) {
                return NONE;
            }
            int n = v - 1;
            if (Integer.compareUnsigned(n, size) >= 0) {
                throw damaged("slot " + slot + " of the id table holds command " + Integer.toUnsignedString(n) + " of " + size);
            }
            if (idPrefix(n) == prefix && command(n).id().equals(id)) {
                return n;
            }
        }
        throw damaged("the id table has no empty slot");
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

    private static long row(int n) {
        return (long) n * ROW;
    }

    long maxCut(int n) {
        return rows.getInt(row(n) + MAX_CUT);
    }

    private int maxCutOf(int n) {
        return rows.getInt(row(n) + MAX_CUT);
    }

    long locator(int n) {
        return rows.getLong(row(n) + LOCATOR);
    }

    /** The id prefix of command n. */
    long idPrefix(int n) {
        return rows.getLong(row(n) + PREFIX);
    }

    /** Checked to be a segment there is: a damaged number must not size the memo's bit sets or index the segment arrays. */
    private int segmentOf(int n) {
        int segment = rows.getInt(row(n) + SEGMENT);
        if (segment < 0 || segment >= segmentCount) {
            throw damaged("command " + n + " is in segment " + segment + " of " + segmentCount);
        }
        return segment;
    }

    private int depth(int n) {
        return rows.getInt(row(n) + DEPTH);
    }

    /** The jump pointer, checked to point at or below n. */
    private int jump(int n) {
        int j = rows.getInt(row(n) + JUMP);
        if (j < 0 || j > n) {
            throw damaged("command " + n + " has jump pointer " + j);
        }
        return j;
    }

    Address address(int n) {
        return new Address(id(n), maxCut(n));
    }

    int[] heads() {
        return heads.stream().mapToInt(Integer::intValue).toArray();
    }

    IntList finalizes() {
        return finalizes;
    }

    @Override
    public int parentCount(int node) {
        return parent(node, 0) == NONE ? 0 : parent(node, 1) == NONE ? 1 : 2;
    }

    /** Checked to be below node (or NONE): damaged rows can never make a walk go round in circles. */
    @Override
    public int parent(int node, int k) {
        int p = rows.getInt(row(node) + (k == 0 ? PARENT_A : PARENT_B));
        if (p < NONE || p >= node) {
            throw damaged("command " + node + " has parent " + p);
        }
        return p;
    }

    /**
     * Derived from the parents (a command without parents is the init command, one with two
     * is a merge: {@link Command#verify} holds every stored command to that) and the flags.
     */
    @Override
    public Priority priority(int node) {
        if (parent(node, 0) == NONE) {
            return Priority.INIT;
        }
        if (parent(node, 1) != NONE) {
            return Priority.MERGE;
        }
        long r = row(node);
        return (rows.getInt(r + FLAGS) & FINALIZE_FLAG) != 0 ? Priority.FINALIZE
                : Priority.basic(Integer.toUnsignedLong(rows.getInt(r + BASIC)));
    }

    @Override
    public CommandId id(int node) {
        return command(node).id();
    }

    /** By id prefix, and only on a tie (one in 2^64) by the full ids. */
    @Override
    public int compareIds(int a, int b) {
        int c = Long.compareUnsigned(idPrefix(a), idPrefix(b));
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
        long r = row(n);
        rows.putLong(r + PREFIX, prefix);
        rows.putLong(r + LOCATOR, locator);
        rows.putInt(r + PARENT_A, pa);
        rows.putInt(r + PARENT_B, pb);
        rows.putInt(r + MAX_CUT, pa == NONE ? 0 : 1 + Math.max(maxCutOf(pa), pb == NONE ? 0 : maxCutOf(pb)));
        if (pa == NONE) {
            rows.putInt(r + DEPTH, 0);
            rows.putInt(r + JUMP, n);
        } else {
            int depthA = depth(pa);
            rows.putInt(r + DEPTH, depthA + 1);
            int j = jump(pa);
            rows.putInt(r + JUMP, depthA - depth(j) == depth(j) - depth(jump(j)) ? jump(j) : pa);
        }
        rows.putInt(r + BASIC, basic);
        rows.putInt(r + FLAGS, finalize ? FINALIZE_FLAG : 0);
        setBit(hasChildren, n, false);
        int segment;
        if (pa != NONE && pb == NONE && !bit(hasChildren, pa)) {
            // pa has no child yet, so it is the last command of its segment: extend it.
            segment = segmentOf(pa);
            if (!bulk) {
                extensions.add(segment);
                extensions.add(segmentLast[segment]);
            }
            segmentLast[segment] = n;
        } else {
            if (segmentCount == segmentFirst.length) {
                segmentFirst = Arrays.copyOf(segmentFirst, segmentCount * 2);
                segmentLast = Arrays.copyOf(segmentLast, segmentCount * 2);
            }
            segmentFirst[segmentCount] = n;
            segmentLast[segmentCount] = n;
            segment = segmentCount++;
        }
        rows.putInt(r + SEGMENT, segment);
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
        if (size * 4L > tableSlots * 3L) {
            rehash(tableSlots * 2);
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
     * until {@link #endBulk} rebuilds it from the "has children" bits, nothing is kept for a
     * rollback, and, if deferTable, the id table is built only at the first lookup (cheaper
     * than growing it step by step while the whole log is replayed).
     */
    void beginBulk(boolean deferTable) {
        bulk = true;
        tableDeferred = deferTable;
    }

    /** Places every command in a table sized for them at once: cheaper than growing it step by step. */
    private void buildTable() {
        tableDeferred = false;
        int slots = tableSlots;
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
        bulk = false;
        gotChildren.truncate(0);
        extensions.truncate(0);
        heads.clear();
        for (int w = 0; w << 6 < size; w++) {
            long childless = ~hasChildren[w];
            if ((w + 1) << 6 > size) {
                childless &= (1L << size) - 1; // only bits below size (size is not a multiple of 64 here)
            }
            while (childless != 0) {
                heads.add((w << 6) + Long.numberOfTrailingZeros(childless));
                childless &= childless - 1;
            }
        }
    }

    private void place(int n) {
        int mask = tableSlots - 1;
        int slot = hash(idPrefix(n)) & mask;
        for (int probes = 0; table.getInt(slot * 4L) != 0; probes++) {
            if (probes == tableSlots) {
                throw damaged("the id table has no empty slot");
            }
            slot = (slot + 1) & mask;
        }
        table.putInt(slot * 4L, n + 1);
    }

    /**
     * Moves every command into a new table of that many slots, in a new area: the area of the
     * old table stays as it is, since a saved state may still refer to it.
     */
    private void rehash(int slots) {
        tableSlots = slots;
        table = memory.open(tableArea(slots), true);
        table.ensure(slots * 4L);
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
        int mask = tableSlots - 1;
        int slot = hash(idPrefix(n)) & mask;
        for (int probes = 0; table.getInt(slot * 4L) != n + 1; probes++) {
            if (probes == tableSlots) {
                throw damaged("command " + n + " is missing from the id table");
            }
            slot = (slot + 1) & mask;
        }
        table.putInt(slot * 4L, 0);
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
            if (!tableDeferred) {
                unplace(n);
            }
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

    /** Writes the rows and the table back to their files and waits until they are on disk (see {@link #saveState}). */
    void force() {
        rows.force();
        table.force();
    }

    /**
     * What, besides its areas, the index needs to be opened again as it is now, with no
     * batch in progress: {@code u32 size | u32 segments | u32 table slots | u64 hash seed |
     * u32 finalize count | i32 finalize* | u64 has-children bits* (one bit per command) |
     * i32 segment first* | i32 segment last*}. Rows below size and the table's numbers below
     * size must be on disk before a state that names them is (see {@link #force}).
     */
    void saveState(ByteBuffer out) {
        out.putInt(size).putInt(segmentCount).putInt(tableSlots).putLong(seed).putInt(finalizes.size());
        for (int i = 0; i < finalizes.size(); i++) {
            out.putInt(finalizes.get(i));
        }
        for (int w = 0; w < words(size); w++) {
            out.putLong(hasChildren[w]);
        }
        for (int s = 0; s < segmentCount; s++) {
            out.putInt(segmentFirst[s]);
        }
        for (int s = 0; s < segmentCount; s++) {
            out.putInt(segmentLast[s]);
        }
    }

    /** The bytes {@link #saveState} writes. */
    int stateBytes() {
        return 4 + 4 + 4 + 8 + 4 + 4 * finalizes.size() + 8 * words(size) + 8 * segmentCount;
    }

    private static int words(int bits) {
        return (bits + 63) >>> 6;
    }

    /**
     * Takes back a state {@link #saveState} wrote, over the areas it refers to, checking
     * everything it can without a pass over the rows. When the areas may hold rows and table
     * numbers written after the state was saved (clean is false: the process that saved it
     * went on adding), the table's numbers at or above the saved size are cleared: such a
     * number can only have been placed after the save, in a slot that was empty then (the
     * table only gains numbers in empty slots, and a rollback removes only numbers at or
     * above the size it returns to, which is never below a saved size), so clearing them
     * gives back exactly the table that was saved. Rows at or above the size are simply
     * written again.
     *
     * @throws IOException if the state does not fit the areas or itself
     */
    void restoreState(ByteBuffer in, boolean clean) throws IOException {
        try {
            int n = in.getInt();
            int segments = in.getInt();
            int slots = in.getInt();
            long savedSeed = in.getLong();
            int finalizeCount = in.getInt();
            if (n < 0 || segments < 0 || segments > n || (n > 0) != (segments > 0) || slots < FIRST_TABLE_SLOTS
                    || Integer.bitCount(slots) != 1 || n * 4L > slots * 3L || finalizeCount < 0 || finalizeCount > n) {
                throw new IOException("the saved state claims " + n + " commands, " + segments + " segments, "
                        + slots + " table slots and " + finalizeCount + " finalize commands");
            }
            if (in.remaining() != 4L * finalizeCount + 8L * words(n) + 8L * segments) {
                throw new IOException("the saved state has " + in.remaining() + " bytes where its counts need "
                        + (4L * finalizeCount + 8L * words(n) + 8L * segments));
            }
            long rowBytes = memory.size(ROWS);
            long tableBytes = memory.size(tableArea(slots));
            if (rowBytes < row(n) || tableBytes < slots * 4L) {
                throw new IOException("the index areas are short: " + rowBytes + " bytes of rows for " + n
                        + " commands, " + tableBytes + " bytes of a " + slots + "-slot table");
            }
            for (int i = 0, last = -1; i < finalizeCount; i++) {
                int f = in.getInt();
                if (f <= last || f >= n) {
                    throw new IOException("the saved state lists finalize command " + f + " after " + last + " of " + n);
                }
                finalizes.add(f);
                last = f;
            }
            hasChildren = new long[Math.max(16, words(n) + 1)];
            for (int w = 0; w < words(n); w++) {
                hasChildren[w] = in.getLong();
            }
            segmentFirst = new int[Math.max(256, segments + 1)];
            segmentLast = new int[segmentFirst.length];
            for (int s = 0; s < segments; s++) {
                segmentFirst[s] = in.getInt();
            }
            for (int s = 0; s < segments; s++) {
                segmentLast[s] = in.getInt();
                if (segmentFirst[s] < 0 || segmentLast[s] < segmentFirst[s] || segmentLast[s] >= n) {
                    throw new IOException("segment " + s + " runs from command " + segmentFirst[s] + " to " + segmentLast[s] + " of " + n);
                }
            }
            size = n;
            segmentCount = segments;
            tableSlots = slots;
            seed = savedSeed;
            rows = memory.open(ROWS, false);
            table = memory.open(tableArea(slots), false);
            if (!clean) {
                for (long at = 0; at < slots * 4L; at += 4) {
                    int v = table.getInt(at);
                    if (v != 0 && Integer.compareUnsigned(v - 1, n) >= 0) {
                        table.putInt(at, 0);
                    }
                }
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new IOException("the saved state ends early", e);
        }
    }

    private int positionOf(int n) {
        return maxCutOf(n) - maxCutOf(segmentFirst[segmentOf(n)]);
    }

    /**
     * Whether a is an ancestor of b or equal to it. The init command is everyone's ancestor.
     * Otherwise walks back from b segment by segment, highest max cut first, skipping segments
     * already seen and everything below a's max cut, and stopping early at a segment already
     * known to descend from a: policies ask about the same few grant commands over and over,
     * so after the first walk each answer takes a step or two however large the graph is.
     */
    boolean isAncestorOrEqual(int a, int b) {
        if (a == b || parent(a, 0) == NONE) {
            return true;
        }
        long target = maxCutOf(a);
        if (target >= maxCutOf(b)) {
            return false;
        }
        int targetSegment = segmentOf(a);
        PriorityQueue<Integer> frontier = new PriorityQueue<>(Comparator.comparingLong((Integer n) -> maxCutOf(n)).reversed());
        Set<Integer> seenSegments = new HashSet<>();
        frontier.add(b);
        while (!frontier.isEmpty()) {
            int n = frontier.poll();
            int segment = segmentOf(n);
            if (segment == targetSegment) {
                // The highest location reached in a's segment comes first: decide here.
                return maxCutOf(n) >= maxCutOf(a) && remember(a, segmentOf(b));
            }
            if (knownDescendant(a, segment)) {
                return remember(a, segmentOf(b));
            }
            if (!seenSegments.add(segment)) {
                continue;
            }
            int first = segmentFirst[segment];
            for (int k = 0; k < parentCount(first); k++) {
                int p = parent(first, k);
                if (maxCutOf(p) >= target) {
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
        if (segment != segmentOf(a)) {
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
            queue.add(new Entry(maxCutOf(h), h, false, null));
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
                if (k == NONE || maxCutOf(k) != e.maxCut()) {
                    continue; // not held here, or not at that max cut: ignored, as the caller asked
                }
                e = new Entry(maxCutOf(k), k, true, null);
            }
            int segment = segmentOf(e.node());
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
                        queue.add(new Entry(maxCutOf(p), p, true, null));
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
                    lowestNeededStart = Math.min(lowestNeededStart, maxCutOf(first));
                    if (r[1] < 0) {
                        for (int k = 0; k < parentCount(first); k++) {
                            int p = parent(first, k);
                            queue.add(new Entry(maxCutOf(p), p, false, null));
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
                if (count > size - total) {
                    throw damaged("segment " + e.getKey() + " would send " + count + " commands, with " + total + " of " + size + " already");
                }
                ranges.add(new int[] {e.getKey(), count, r[2], maxCutOf(r[2]) - count + 1});
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
                n = parent(n, 0);
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
            int segment = segmentOf(n);
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
            long target = Math.max(0, depth(from) - distance);
            int n = from;
            while (depth(n) > target) {
                int next = depth(jump(n)) >= target ? jump(n) : parent(n, 0);
                if (next == n || next == NONE) {
                    throw damaged("command " + n + " has depth " + depth(n) + " but no ancestor to step to");
                }
                n = next; // strictly lower each step (jump and parent are checked to be), so this ends
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
        rows.ensure(row(needed));
        if (words(needed) >= hasChildren.length) {
            hasChildren = Arrays.copyOf(hasChildren, Math.max(words(needed) + 1, hasChildren.length + (hasChildren.length >> 1)));
        }
    }
}
