package aranya.sync.graph;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * The braid (weave): the deterministic total order in which a graph's commands are evaluated.
 *
 * <p>Aranya computes it backwards from a merge with a heap of strands keyed by
 * (priority, id): it repeatedly takes the smallest strand tip, emits it (merges are skipped),
 * and moves on to a parent only once no remaining strand descends from that parent; the
 * output is then reversed. So in forward order parents come first and, among concurrent
 * commands, the one with the lowest key comes last. Two finalize commands in the heap at
 * once are concurrent, which is {@link SyncError#PARALLEL_FINALIZE}.
 *
 * <p>A graph with several heads is woven from all of them at once, as if they were the
 * parents of one merge: merge commands have the lowest priority, so whatever merges later
 * join these heads, the walk passes through those merges first, leaves exactly these heads
 * in the heap, and goes on as here. So the order is the same before and after the merges.
 *
 * <p>Walking the whole ancestry of the heads in one pass gives the same order as Aranya's
 * merge-by-merge evaluation: whenever the heap holds a single strand, every command left is
 * an ancestor of it, which is exactly where Aranya's braid stops and reuses the base's order.
 * "No remaining strand descends from the parent" is tracked with child counts over the
 * ancestry instead of is-ancestor queries.
 */
final class Weave {
    private Weave() {}

    /** The forward weave of all ancestors of the heads (inclusive), merge commands left out. */
    static int[] order(DagView dag, int... heads) throws SyncException {
        int[] pendingChildren = countChildren(dag, heads);
        Comparator<Integer> byKey = Comparator.<Integer, Priority>comparing(dag::priority).thenComparing(dag::compareIds);
        PriorityQueue<Integer> heap = new PriorityQueue<>(byKey);
        IntList backwards = new IntList(pendingChildren.length);
        int finalizesInHeap = 0;
        for (int head : heads) {
            heap.add(head);
            if (dag.priority(head) instanceof Priority.Finalize && ++finalizesInHeap > 1) {
                throw new SyncException(SyncError.PARALLEL_FINALIZE,
                        "finalize command " + dag.id(head) + " is concurrent with another finalize command");
            }
        }
        while (!heap.isEmpty()) {
            int tip = heap.poll();
            Priority priority = dag.priority(tip);
            if (priority instanceof Priority.Finalize) {
                finalizesInHeap--;
            }
            if (!(priority instanceof Priority.Merge)) {
                backwards.add(tip);
            }
            for (int k = 0; k < dag.parentCount(tip); k++) {
                int parent = dag.parent(tip, k);
                if (--pendingChildren[parent] == 0) {
                    if (dag.priority(parent) instanceof Priority.Finalize && ++finalizesInHeap > 1) {
                        throw new SyncException(SyncError.PARALLEL_FINALIZE,
                                "finalize command " + dag.id(parent) + " is concurrent with another finalize command");
                    }
                    heap.add(parent);
                }
            }
        }
        int[] forward = new int[backwards.size()];
        for (int i = 0; i < forward.length; i++) {
            forward[i] = backwards.get(forward.length - 1 - i);
        }
        return forward;
    }

    /**
     * For every ancestor of the heads, how many of its children are also such ancestors (-1
     * for nodes that are not ancestors). Parents are numbered below their children, so every
     * ancestor of a head has a number of at most the highest head's.
     */
    private static int[] countChildren(DagView dag, int[] heads) {
        int[] children = new int[java.util.Arrays.stream(heads).max().orElse(-1) + 1];
        java.util.Arrays.fill(children, -1);
        IntList stack = new IntList();
        for (int head : heads) {
            children[head] = 0;
            stack.add(head);
        }
        while (stack.size() > 0) {
            int node = stack.last();
            stack.truncate(stack.size() - 1);
            for (int k = 0; k < dag.parentCount(node); k++) {
                int parent = dag.parent(node, k);
                if (children[parent] < 0) {
                    children[parent] = 1;
                    stack.add(parent);
                } else {
                    children[parent]++;
                }
            }
        }
        return children;
    }
}
