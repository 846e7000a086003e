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
    /** The graph this store holds. */
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
     * batch. A batch that was not completely written is not replayed.
     */
    long replay(long from, ReplaySink sink) throws IOException;

    /**
     * Appends a batch atomically: when this returns, all of it survives a crash; if it throws,
     * none of it is visible.
     */
    StoredBatch append(List<Command> batch) throws IOException;

    /** The command at this locator (one that {@link #append} or {@link #replay} gave). Safe to call from many threads at once. */
    Command read(long locator) throws IOException;

    /** Receives the saved index's records. */
    @FunctionalInterface
    interface IndexSink {
        /** One record, as it was given to {@link #saveIndex}; throws if it does not decode. */
        void accept(ByteBuffer record) throws IOException;

        /** Called once before the records, with at most how many bytes they hold in all (so the index can size itself once). */
        default void expect(long bytes) {}
    }

    /**
     * Hands the records of the saved index that are intact and cover only batches still in
     * the store to sink, in the order they were saved, and returns the position they cover up
     * to: replaying from there completes the index. Records saved under another tag (another
     * policy, another index format) are not handed on. A store that saves no index returns 0.
     */
    default long loadIndex(String tag, IndexSink sink) throws IOException {
        return 0;
    }

    /**
     * Saves one index record, an opaque byte string, covering the batches from the end of the
     * previous record up to position end. Needs no fsync of its own: the batches it covers are
     * durable already, and a record lost in a crash only means those batches are replayed at
     * the next open. The default saves nothing.
     */
    default void saveIndex(String tag, ByteBuffer record, long end) throws IOException {}

    /** Forgets the saved index (it did not decode): the next {@link #loadIndex} starts from nothing. */
    default void discardIndex() throws IOException {}

    @Override
    void close() throws IOException;
}
