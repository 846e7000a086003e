package aranya.sync.graph;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Durable storage of one graph's commands: an append-only sequence of batches, each command
 * readable again by its <em>locator</em> (a number the store chooses, for example a byte
 * offset), and optionally files for the graph's index ({@link #indexFiles()}) so that
 * the index lives outside the heap and opening does not replay every batch. The graph reads
 * command bodies back through {@link #read}.
 *
 * <p>Positions ({@link #replay}'s from, {@link StoredBatch#end()}) are the store's own
 * numbers too; position 0 is always the beginning.
 */
public interface GraphStore extends AutoCloseable {
    /**
     * The graph this store holds.
     *
     * @return its id
     */
    GraphId graphId();

    /** Receives replayed commands. */
    @FunctionalInterface
    interface ReplaySink {
        /**
         * One stored command.
         *
         * @param command the command
         * @param locator where {@link #read} finds it again
         * @param batchEnd the position just after the batch that holds it
         */
        void accept(Command command, long locator, long batchEnd);
    }

    /**
     * Hands every committed command from position from on to sink, in the order the batches
     * were appended (so parents before children), and returns the position after the last
     * batch. A batch that was not completely written is not replayed. {@link Graph#open} first
     * calls it right after loading the index checkpoint ({@link #indexFiles}), from the
     * position the checkpoint covers (0 without one): a store may check what it holds from
     * there on at that first call, and refuse {@link #append} before it.
     *
     * @param from where to start: 0 for the beginning, or a position this store returned
     * @param sink receives each command
     * @return the position after the last batch
     * @throws IOException if the store cannot be read, or is damaged from position from on
     */
    long replay(long from, ReplaySink sink) throws IOException;

    /**
     * Appends a batch atomically: when this returns, all of it survives a crash; if it throws,
     * none of it is visible.
     *
     * @param batch the commands, parents first
     * @return where each command went, and the position after the batch
     * @throws IOException if the batch cannot be stored (then none of it is)
     */
    StoredBatch append(List<Command> batch) throws IOException;

    /**
     * The command at this locator. Safe to call from many threads at once, and from a thread
     * that may be interrupted.
     *
     * @param locator a locator that {@link #append} or {@link #replay} gave
     * @return the command stored there
     * @throws IOException if it cannot be read or does not decode
     */
    Command read(long locator) throws IOException;

    /**
     * The files this store offers for the graph's index (see {@link IndexFiles}): the graph maps
     * its columns from them and checkpoints its state there, so that opening replays only the
     * batches stored after the last checkpoint. The default offers none: the graph then keeps
     * its index on the heap and replays every batch at each open.
     *
     * @return the index files, or empty
     */
    default Optional<IndexFiles> indexFiles() {
        return Optional.empty();
    }

    @Override
    void close() throws IOException;
}
