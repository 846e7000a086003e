package aranya.sync.graph;

import java.io.IOException;
import java.util.Set;

/** Opens the stores of a node's graphs: in memory for tests, files for real use. */
public interface StorageProvider extends AutoCloseable {
    /**
     * {@return the store of that graph, created empty if it does not exist yet}
     *
     * @param graph the graph's id
     * @throws IOException if the store cannot be opened or created
     */
    GraphStore open(GraphId graph) throws IOException;

    /**
     * {@return the graphs that have a store}
     *
     * @throws IOException if the stores cannot be listed
     */
    Set<GraphId> graphs() throws IOException;

    @Override
    void close() throws IOException;
}
