package aranya.sync.graph;

import java.util.List;

/**
 * What a batch did to a graph. Received batches never add merge commands (merges are lazy:
 * only an append makes them).
 *
 * @param added commands of the batch that were new (duplicates are skipped)
 * @param heads the graph's heads afterwards, ascending by id
 */
public record AddResult(int added, List<Address> heads) {
    /** Copies heads. */
    public AddResult {
        heads = List.copyOf(heads);
    }
}
