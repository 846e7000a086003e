package aranya.sync.graph;

/**
 * What a batch did to a graph.
 *
 * @param added commands of the batch that were new (duplicates are skipped)
 * @param merges merge commands the graph created to return to a single head
 * @param head the graph's head afterwards
 */
public record AddResult(int added, int merges, Address head) {}
