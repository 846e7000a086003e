package aranya.sync.graph;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** Test helper: a store that hands every call to another; tests override the calls they watch or break. */
public class ForwardingStore implements GraphStore {
    private final GraphStore inner;

    /** Forwards to inner. */
    public ForwardingStore(GraphStore inner) {
        this.inner = inner;
    }

    @Override
    public GraphId graphId() {
        return inner.graphId();
    }

    @Override
    public long replay(long from, ReplaySink sink) throws IOException {
        return inner.replay(from, sink);
    }

    @Override
    public StoredBatch append(List<Command> batch) throws IOException {
        return inner.append(batch);
    }

    @Override
    public Command read(long locator) throws IOException {
        return inner.read(locator);
    }

    @Override
    public Optional<IndexFiles> indexFiles() {
        return inner.indexFiles();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
