package aranya.sync.graph.storage;

import aranya.sync.graph.Command;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.GraphStore;
import aranya.sync.graph.StorageProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

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

        @Override
        public synchronized void replay(Consumer<Command> sink) {
            commands.forEach(sink);
        }

        @Override
        public synchronized void append(List<Command> batch) {
            commands.addAll(batch);
        }

        @Override
        public void close() {
            // Kept for a later open of the same graph.
        }
    }
}
