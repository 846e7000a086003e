package aranya.sync.graph;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * The in-memory index of one graph. Commands get dense numbers in insertion order, so parents
 * are numbered before children. Commands are grouped into segments: chains in which every
 * command's only parent is the previous command. Segment boundaries are local to this
 * replica (as in Aranya) and never leave it.
 *
 * <p>{@link Graph} guards it with a read-write lock (readers may run together; the is-ancestor
 * memo has a lock of its own). Changes made during a
 * batch can be undone with {@link #mark()} and {@link #rollback(Mark)}.
 */
final class GraphIndex implements DagView {
    static final int NONE = -1;

    private Command[] commands = new Command[1024];
    private int[] parentA = new int[1024];
    private int[] parentB = new int[1024];
    private long[] maxCuts = new long[1024];
    private int[] segmentOf = new int[1024];
    private int[] positionOf = new int[1024];
    private int[] childCount = new int[1024];
    private int size;

    private final Map<CommandId, Integer> byId = new HashMap<>();
    /** Command numbers of each segment, first to last. */
    private final List<IntList> segments = new ArrayList<>();
    /** Commands without children. */
    private final Set<Integer> heads = new LinkedHashSet<>();
    private final IntList finalizes = new IntList();

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

    /** Undo log of pre-existing segments extended since the last mark: pairs (segment, old size). */
    private final IntList extensions = new IntList();

    /** A point to roll back to. */
    record Mark(int size, int segmentCount, int finalizeCount, int[] heads) {}

    int size() {
        return size;
    }

    Command command(int n) {
        return commands[n];
    }

    /** The number of the command with this id, or {@link #NONE}. */
    int indexOf(CommandId id) {
        Integer n = byId.get(id);
        return n == null ? NONE : n;
    }

    long maxCut(int n) {
        return maxCuts[n];
    }

    Address address(int n) {
        return new Address(commands[n].id(), maxCuts[n]);
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

    @Override
    public Priority priority(int node) {
        return commands[node].priority();
    }

    @Override
    public CommandId id(int node) {
        return commands[node].id();
    }

    Mark mark() {
        extensions.truncate(0);
        return new Mark(size, segments.size(), finalizes.size(), heads());
    }

    /** Appends a command whose parents (by number, NONE for absent) are already present. */
    int add(Command command, int pa, int pb) {
        ensureCapacity(size + 1);
        int n = size;
        commands[n] = command;
        parentA[n] = pa;
        parentB[n] = pb;
        maxCuts[n] = pa == NONE ? 0 : 1 + Math.max(maxCuts[pa], pb == NONE ? 0 : maxCuts[pb]);
        if (pa != NONE && pb == NONE && isSegmentTail(pa)) {
            int segment = segmentOf[pa];
            IntList chain = segments.get(segment);
            extensions.add(segment);
            extensions.add(chain.size());
            segmentOf[n] = segment;
            positionOf[n] = chain.size();
            chain.add(n);
        } else {
            IntList chain = new IntList();
            chain.add(n);
            segmentOf[n] = segments.size();
            positionOf[n] = 0;
            segments.add(chain);
        }
        for (int p : new int[] {pa, pb}) {
            if (p != NONE) {
                childCount[p]++;
                heads.remove(p);
            }
        }
        heads.add(n);
        if (command.priority() instanceof Priority.Finalize) {
            finalizes.add(n);
        }
        byId.put(command.id(), n);
        size++;
        return n;
    }

    private boolean isSegmentTail(int n) {
        return childCount[n] == 0 && segments.get(segmentOf[n]).last() == n;
    }

    /** Forgets every command added since the mark. */
    void rollback(Mark mark) {
        for (int n = size - 1; n >= mark.size(); n--) {
            byId.remove(commands[n].id());
            for (int p : new int[] {parentA[n], parentB[n]}) {
                if (p != NONE) {
                    childCount[p]--;
                }
            }
            commands[n] = null;
        }
        size = mark.size();
        while (segments.size() > mark.segmentCount()) {
            segments.remove(segments.size() - 1);
        }
        descendantSegments.keySet().removeIf(n -> n >= mark.size());
        for (java.util.BitSet known : descendantSegments.values()) {
            known.clear(mark.segmentCount(), Math.max(mark.segmentCount(), known.length()));
        }
        for (int i = extensions.size() - 2; i >= 0; i -= 2) {
            int segment = extensions.get(i);
            if (segment < mark.segmentCount()) {
                segments.get(segment).truncate(extensions.get(i + 1));
            }
        }
        extensions.truncate(0);
        finalizes.truncate(mark.finalizeCount());
        heads.clear();
        for (int h : mark.heads()) {
            heads.add(h);
        }
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
                return positionOf[n] >= positionOf[a] && remember(a, segmentOf[b]);
            }
            if (knownDescendant(a, segment)) {
                return remember(a, segmentOf[b]);
            }
            if (!seenSegments.add(segment)) {
                continue;
            }
            int first = segments.get(segment).get(0);
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
     * where the walk stops, and on a large graph each lookup is a cache miss.
     */
    int[] missing(Collection<Address> known) {
        /** unresolved: a known address not looked up yet (segment and position then unset). */
        record Entry(long maxCut, int segment, int position, boolean covered, Address unresolved) {}
        PriorityQueue<Entry> queue = new PriorityQueue<>(Comparator.comparingLong(Entry::maxCut).reversed());
        Map<Integer, int[]> reach = new HashMap<>(); // segment -> {highest needed position, highest covered position}
        int uncoveredQueued = 0;
        long lowestNeededStart = Long.MAX_VALUE;

        for (int h : heads) {
            queue.add(new Entry(maxCuts[h], segmentOf[h], positionOf[h], false, null));
            uncoveredQueued++;
        }
        for (Address a : known) {
            queue.add(new Entry(a.maxCut(), -1, -1, true, a));
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
                e = new Entry(maxCuts[k], segmentOf[k], positionOf[k], true, null);
            }
            int[] r = reach.computeIfAbsent(e.segment(), s -> new int[] {-1, -1});
            int first = segments.get(e.segment()).get(0);
            if (e.covered()) {
                if (r[1] >= e.position()) {
                    continue;
                }
                boolean firstCover = r[1] < 0;
                r[1] = e.position();
                if (firstCover) {
                    for (int k = 0; k < parentCount(first); k++) {
                        int p = parent(first, k);
                        queue.add(new Entry(maxCuts[p], segmentOf[p], positionOf[p], true, null));
                    }
                }
            } else {
                uncoveredQueued--;
                if (r[0] >= e.position()) {
                    continue;
                }
                boolean firstReach = r[0] < 0;
                r[0] = e.position();
                if (firstReach) {
                    lowestNeededStart = Math.min(lowestNeededStart, maxCuts[first]);
                    if (r[1] < 0) {
                        for (int k = 0; k < parentCount(first); k++) {
                            int p = parent(first, k);
                            queue.add(new Entry(maxCuts[p], segmentOf[p], positionOf[p], false, null));
                            uncoveredQueued++;
                        }
                    }
                }
            }
        }
        // Ranges sorted by the max cut of their first command are in parents-first order.
        List<int[]> ranges = new ArrayList<>();
        int total = 0;
        for (Map.Entry<Integer, int[]> e : reach.entrySet()) {
            int[] r = e.getValue();
            if (r[0] > r[1]) {
                ranges.add(new int[] {e.getKey(), r[1] + 1, r[0]});
                total += r[0] - r[1];
            }
        }
        ranges.sort(Comparator.<int[]>comparingLong(r -> maxCuts[segments.get(r[0]).get(r[1])]).thenComparingInt(r -> r[0]));
        int[] out = new int[total];
        int i = 0;
        for (int[] r : ranges) {
            IntList chain = segments.get(r[0]);
            for (int pos = r[1]; pos <= r[2]; pos++) {
                out[i++] = chain.get(pos);
            }
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
            IntList chain = segments.get(segment);
            out.add(chain.last());
            int first = chain.get(0);
            // A segment usually starts where two peers last agreed (a merge or a fork), so its
            // first command is worth a place too: Aranya's sample names only the last.
            if (first != chain.last() && out.size() < limit) {
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
     * to where we diverged, so it resends little. Segments make each jump O(1) on chains.
     */
    IntList exponentialAncestors(int from, int limit) {
        IntList out = new IntList();
        int n = from;
        long distance = 1;
        while (out.size() < limit) {
            long steps = distance - (distance >> 1); // from the previous point to this one
            boolean atRoot = false;
            while (steps > 0) {
                int pos = positionOf[n];
                IntList chain = segments.get(segmentOf[n]);
                if (pos >= steps) {
                    n = chain.get((int) (pos - steps));
                    steps = 0;
                } else {
                    int first = chain.get(0);
                    steps -= pos;
                    if (parentA[first] == NONE) {
                        n = first;
                        atRoot = true;
                        break;
                    }
                    n = parentA[first];
                    steps--;
                }
            }
            out.add(n);
            if (atRoot || parentA[n] == NONE) {
                break;
            }
            distance <<= 1;
        }
        return out;
    }

    private void ensureCapacity(int needed) {
        if (needed <= commands.length) {
            return;
        }
        int cap = Math.max(needed, commands.length * 2);
        commands = Arrays.copyOf(commands, cap);
        parentA = Arrays.copyOf(parentA, cap);
        parentB = Arrays.copyOf(parentB, cap);
        maxCuts = Arrays.copyOf(maxCuts, cap);
        segmentOf = Arrays.copyOf(segmentOf, cap);
        positionOf = Arrays.copyOf(positionOf, cap);
        childCount = Arrays.copyOf(childCount, cap);
    }
}
