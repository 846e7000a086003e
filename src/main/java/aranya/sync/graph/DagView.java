package aranya.sync.graph;

/**
 * A read-only view of a command DAG by dense node number, parents numbered before children.
 * The braid algorithm works on this view, so it can be tested on hand-built DAGs.
 */
interface DagView {
    int parentCount(int node);

    int parent(int node, int k);

    Priority priority(int node);

    CommandId id(int node);

    /** Orders two nodes by their ids, as {@link CommandId#compareTo} does. */
    default int compareIds(int a, int b) {
        return id(a).compareTo(id(b));
    }
}
