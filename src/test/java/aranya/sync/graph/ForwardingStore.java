package aranya.sync.graph;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

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
    public long loadIndex(String tag, IndexSink sink) throws IOException {
        return inner.loadIndex(tag, sink);
    }

    @Override
    public void saveIndex(String tag, ByteBuffer record, long end) throws IOException {
        inner.saveIndex(tag, record, end);
    }

    @Override
    public void discardIndex() throws IOException {
        inner.discardIndex();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
