package aranya.sync.graph;

/**
 * Where a batch went: see {@link GraphStore#append}.
 *
 * @param locators the locator of each command of the batch, in order
 * @param end the store's position just after the batch
 */
public record StoredBatch(long[] locators, long end) {}
