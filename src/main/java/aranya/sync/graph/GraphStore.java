package aranya.sync.graph;

import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

/**
 * Durable storage of one graph's commands: an append-only sequence of batches. The graph
 * keeps its indexes in memory and rebuilds them from {@link #replay} when it opens.
 */
public interface GraphStore extends AutoCloseable {
    /** {@return the graph this store holds} */
    GraphId graphId();

    /**
     * Hands every committed command to sink, in the order the batches were appended (so
     * parents before children). A batch that was not completely written is not replayed.
     *
     * @param sink receives each command
     * @throws IOException if the store cannot be read
     */
    void replay(Consumer<Command> sink) throws IOException;

    /**
     * Appends a batch atomically: when this returns, all of it survives a crash; if it throws, none of it is visible.
     *
     * @param batch the commands, parents before children
     * @throws IOException if the batch could not be made durable
     */
    void append(List<Command> batch) throws IOException;

    @Override
    void close() throws IOException;
}
