package aranya.sync.graph;

import java.io.IOException;
import java.util.Set;

/** Opens the stores of a node's graphs: in memory for tests, files for real use. */
public interface StorageProvider extends AutoCloseable {
    /** The store of that graph, created empty if it does not exist yet. */
    GraphStore open(GraphId graph) throws IOException;

    /** The graphs that have a store. */
    Set<GraphId> graphs() throws IOException;

    @Override
    void close() throws IOException;
}
