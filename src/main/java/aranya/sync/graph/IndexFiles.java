package aranya.sync.graph;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.Set;

/**
 * Files a {@link GraphStore} offers for its graph's index (see {@link GraphStore#indexFiles()}):
 * named <em>areas</em> that the graph maps into memory and keeps its per-command columns in,
 * so that the index costs next to no heap however large the graph is, and a small
 * <em>checkpoint</em> that says which part of the areas is valid and up to which position of
 * the store it covers, so that opening replays only the batches stored after it.
 *
 * <p>The graph writes the areas through the mapped buffers; the store never reads their
 * contents. Before {@link #save} the graph forces its mapped buffers to disk, so a saved
 * checkpoint never describes bytes that a power loss can take back. The checkpoint is derived
 * data: a store hands it out only if it is intact and was saved for this store's log as it
 * is now; the graph still checks what it holds and rebuilds the index from the store when
 * anything does not fit.
 */
public interface IndexFiles {
    /**
     * A saved checkpoint.
     *
     * @param position the store position it covers up to: replaying from there completes the index
     * @param state the bytes given to {@link #save}
     * @param logGoesOn whether the store holds bytes after position (batches to replay, or a torn tail)
     */
    record Checkpoint(long position, ByteBuffer state, boolean logGoesOn) {}

    /**
     * The checkpoint last saved under this tag, if it is intact, and the store still holds
     * exactly the bytes it was saved after. Anything else (none saved, another tag, a damaged
     * or torn file, a position the store no longer holds or holds other bytes at) gives empty,
     * after one WARNING saying why when there was something to distrust.
     *
     * @param tag the index format and policy the checkpoint must have been saved under
     * @return the checkpoint, or empty if there is none to trust
     * @throws IOException if the store's files cannot be read at all
     */
    Optional<Checkpoint> load(String tag) throws IOException;

    /**
     * Replaces the checkpoint atomically: after a crash at any point the old one or this one
     * is there, whole. Then deletes every area not named in keep. The graph has forced the
     * areas' mapped buffers before calling this.
     *
     * @param tag the index format and policy the state was made with
     * @param position the store position the state covers up to (a batch end)
     * @param state the graph's index state
     * @param keep the areas the state refers to
     * @throws IOException if it cannot be saved (the old checkpoint then stays)
     */
    void save(String tag, long position, ByteBuffer state, Set<String> keep) throws IOException;

    /**
     * Forgets the checkpoint, durably: the next {@link #load} finds none. The graph calls it
     * before it rebuilds the areas, so that no checkpoint describes areas being rewritten.
     *
     * @throws IOException if it cannot be removed
     */
    void discard() throws IOException;

    /**
     * {@return how many bytes an area holds (0 for one that does not exist)}
     *
     * @param area the area's name: lowercase letters, digits and '-'
     * @throws IOException if it cannot be read
     */
    long size(String area) throws IOException;

    /**
     * Maps bytes [offset, offset + length) of an area for reading and writing, extending it
     * with zeros as needed. The buffer stays valid after the store is closed.
     *
     * @param area the area's name
     * @param offset where the mapping starts
     * @param length how many bytes it maps
     * @return the mapped bytes
     * @throws IOException if the area cannot be extended or mapped
     */
    ByteBuffer map(String area, long offset, int length) throws IOException;

    /**
     * Empties an area (creating it if needed): what is mapped from it afterwards is zeros.
     *
     * @param area the area's name
     * @throws IOException if it cannot be emptied
     */
    void clear(String area) throws IOException;
}
