package aranya.sync.graph.storage;

import aranya.sync.graph.Command;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.GraphStore;
import aranya.sync.graph.StorageProvider;
import aranya.sync.graph.StoredBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Graph stores that live as long as this provider: for tests and throw-away nodes. */
public final class InMemoryStorageProvider implements StorageProvider {
    private final Map<GraphId, Store> stores = new ConcurrentHashMap<>();

    /** A provider with no stores yet. */
    public InMemoryStorageProvider() {
    }

    @Override
    public GraphStore open(GraphId graph) {
        return stores.computeIfAbsent(graph, Store::new);
    }

    @Override
    public Set<GraphId> graphs() {
        return Set.copyOf(stores.keySet());
    }

    @Override
    public void close() {
        // Nothing to release: the stores are plain heap objects.
    }

    private static final class Store implements GraphStore {
        private final GraphId graph;
        private final List<Command> commands = new ArrayList<>();

        Store(GraphId graph) {
            this.graph = graph;
        }

        @Override
        public GraphId graphId() {
            return graph;
        }

        /** Each command is a batch of its own here; its locator and position are its place in the list. */
        @Override
        public synchronized long replay(long from, ReplaySink sink) {
            for (int i = (int) from; i < commands.size(); i++) {
                sink.accept(commands.get(i), i, i + 1);
            }
            return commands.size();
        }

        @Override
        public synchronized StoredBatch append(List<Command> batch) {
            long[] locators = new long[batch.size()];
            for (int i = 0; i < locators.length; i++) {
                locators[i] = commands.size();
                commands.add(batch.get(i));
            }
            return new StoredBatch(locators, commands.size());
        }

        @Override
        public synchronized Command read(long locator) {
            return commands.get((int) locator);
        }

        @Override
        public void close() {
            // Kept for a later open of the same graph.
        }
    }
}
