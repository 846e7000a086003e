package aranya.sync.graph;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Durable storage of one graph's commands: an append-only sequence of batches, each command
 * readable again by its <em>locator</em> (a number the store chooses, for example a byte
 * offset), and optionally a saved copy of the graph's index so that opening does not replay
 * every batch. The graph keeps only a compact index in memory and reads command bodies back
 * through {@link #read}.
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
     * batch. A batch that was not completely written is not replayed. {@link Graph#open} calls
     * it once, right after {@link #loadIndex}, from the position that returned: a store may
     * check what it holds from there on at that first call, and refuse {@link #append} before it.
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

    /** Receives the saved index's records. */
    @FunctionalInterface
    interface IndexSink {
        /**
         * One record, as it was given to {@link #saveIndex}.
         *
         * @param record the record's bytes
         * @throws IOException if it does not decode (the caller then discards the saved index)
         */
        void accept(ByteBuffer record) throws IOException;

        /**
         * Called once before the records, so the index can size itself once.
         *
         * @param bytes at most how many bytes the records hold in all
         */
        default void expect(long bytes) {}
    }

    /**
     * Hands the records of the saved index that are intact and cover only batches still in
     * the store to sink, in the order they were saved, and returns the position they cover up
     * to: replaying from there completes the index. Records saved under another tag (another
     * policy, another index format) are not handed on. A store that saves no index returns 0.
     *
     * @param tag what the index must have been saved under
     * @param sink receives the records
     * @return the position the handed records cover up to (0 for none)
     * @throws IOException if the index cannot be read, or sink refused a record
     */
    default long loadIndex(String tag, IndexSink sink) throws IOException {
        return 0;
    }

    /**
     * Saves one index record, an opaque byte string, covering the batches from the end of the
     * previous record up to position end. Needs no fsync of its own: the batches it covers are
     * durable already, and a record lost in a crash only means those batches are replayed at
     * the next open. The default saves nothing.
     *
     * @param tag what the record is saved under (see {@link #loadIndex})
     * @param record the bytes to save
     * @param end the position after the last batch the record covers
     * @throws IOException if it cannot be saved (the graph then stops saving until it is reopened)
     */
    default void saveIndex(String tag, ByteBuffer record, long end) throws IOException {}

    /**
     * Forgets the saved index (it did not decode): the next {@link #loadIndex} starts from nothing.
     *
     * @throws IOException if the index cannot be cut
     */
    default void discardIndex() throws IOException {}

    @Override
    void close() throws IOException;
}
