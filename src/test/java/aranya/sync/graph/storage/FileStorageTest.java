package aranya.sync.graph.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.graph.Address;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.CommandId;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.GraphStore;
import aranya.sync.graph.IndexFiles;
import aranya.sync.graph.Prior;
import aranya.sync.graph.Priority;
import aranya.sync.graph.StoredBatch;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStorageTest {
    private static final GraphId GRAPH = GraphId.of(new byte[32]);
    private final Random rnd = new Random(42);

    @TempDir
    Path dir;

    private Command randomCommand(int i) {
        byte[] id = new byte[32];
        rnd.nextBytes(id);
        Prior parent = i % 3 == 0 ? Prior.NONE
                : i % 3 == 1 ? new Prior.Single(new Address(CommandId.of(id), i))
                : new Prior.Merge(new Address(CommandId.of(new byte[32]), 1), new Address(CommandId.of(id), 2));
        Priority p = i % 3 == 0 ? Priority.INIT : i % 3 == 1 ? Priority.basic(i) : Priority.MERGE;
        byte[] payload = new byte[rnd.nextInt(300)];
        rnd.nextBytes(payload);
        return new Command(CommandId.of(id), p, parent, i % 3 == 0 ? Bytes.of(new byte[] {7}) : Bytes.EMPTY, Bytes.of(payload));
    }

    private List<Command> batch(int n) {
        List<Command> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(randomCommand(i));
        }
        return out;
    }

    private static List<Command> replay(GraphStore store) throws IOException {
        List<Command> out = new ArrayList<>();
        store.replay(0, (command, locator, batchEnd) -> out.add(command));
        return out;
    }

    @Test
    void batchesSurviveReopenInOrder() throws IOException {
        List<Command> a = batch(10);
        List<Command> b = batch(5);
        FileStorageProvider provider = new FileStorageProvider(dir);
        try (GraphStore store = provider.open(GRAPH)) {
            store.append(a);
            store.append(b);
        }
        assertThat(provider.graphs()).containsExactly(GRAPH);
        try (GraphStore store = provider.open(GRAPH)) {
            List<Command> all = new ArrayList<>(a);
            all.addAll(b);
            assertThat(replay(store)).isEqualTo(all);
        }
    }

    @Test
    void aTornLastBatchIsDroppedWhereverTheWriteStopped() throws IOException {
        List<Command> a = batch(4);
        List<Command> b = batch(3);
        Path file;
        long goodEnd;
        long fullEnd;
        FileStorageProvider provider = new FileStorageProvider(dir);
        try (GraphStore store = provider.open(GRAPH)) {
            store.append(a);
            file = dir.resolve(GRAPH.toHex() + ".graph");
            goodEnd = Files.size(file);
            store.append(b);
            fullEnd = Files.size(file);
        }
        byte[] full = Files.readAllBytes(file);
        for (long cut = goodEnd + 1; cut < fullEnd; cut += 7) {
            Files.write(file, java.util.Arrays.copyOf(full, (int) cut));
            try (GraphStore store = provider.open(GRAPH)) {
                assertThat(replay(store)).as("cut at %d", cut).isEqualTo(a);
                assertThat(Files.size(file)).isEqualTo(goodEnd);
                store.append(b);
            }
            try (GraphStore store = provider.open(GRAPH)) {
                assertThat(replay(store)).hasSize(a.size() + b.size());
            }
        }
    }

    @Test
    void aBatchWithABadChecksumIsDropped() throws IOException {
        FileStorageProvider provider = new FileStorageProvider(dir);
        List<Command> a = batch(4);
        try (GraphStore store = provider.open(GRAPH)) {
            store.append(a);
            store.append(batch(3));
        }
        Path file = dir.resolve(GRAPH.toHex() + ".graph");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(raf.length() - 5);
            int b = raf.read();
            raf.seek(raf.length() - 5);
            raf.write(b ^ 0xff);
        }
        try (GraphStore store = provider.open(GRAPH)) {
            assertThat(replay(store)).isEqualTo(a);
        }
    }

    /**
     * A cancelled sync interrupts threads that commit and read: that must neither fail their
     * I/O nor close the log (and release its lock) for the batches after it, as an interrupted
     * FileChannel would.
     */
    @Test
    void anInterruptedThreadStillWritesAndReadsAndLeavesTheLogOpen() throws IOException {
        List<Command> a = batch(3);
        List<Command> b = batch(4);
        List<Command> c = batch(2);
        FileStorageProvider provider = new FileStorageProvider(dir);
        try (GraphStore store = provider.open(GRAPH)) {
            store.append(a);
            StoredBatch stored;
            Command readBack;
            boolean stillInterrupted;
            Thread.currentThread().interrupt();
            try {
                stored = store.append(b);
                readBack = store.read(stored.locators()[1]);
            } finally {
                stillInterrupted = Thread.interrupted();
            }
            assertThat(stillInterrupted).isTrue();
            assertThat(readBack).isEqualTo(b.get(1));
            store.append(c);
            assertThatThrownBy(() -> provider.open(GRAPH)).isInstanceOf(IOException.class).hasMessageContaining("already open");
        }
        try (GraphStore store = provider.open(GRAPH)) {
            List<Command> all = new ArrayList<>(a);
            all.addAll(b);
            all.addAll(c);
            assertThat(replay(store)).isEqualTo(all);
        }
    }

    /**
     * The index files a file store offers keep working on an interrupted thread (a commit of a
     * cancelled sync maps a grown area or saves a checkpoint) and leave the interrupt set; a
     * checkpoint comes back as saved, under its tag only, and says whether the log goes on.
     */
    @Test
    void theIndexFilesWorkOnAnInterruptedThreadAndKeepTheirCheckpoint() throws IOException {
        FileStorageProvider provider = new FileStorageProvider(dir);
        try (GraphStore store = provider.open(GRAPH)) {
            long end = store.append(batch(3)).end();
            IndexFiles files = store.indexFiles().orElseThrow();
            boolean stillInterrupted;
            Thread.currentThread().interrupt();
            try {
                files.map("rows", 0, 4096).putInt(8, 42);
                files.save("tag", end, ByteBuffer.wrap(new byte[] {1, 2, 3}), Set.of("rows"));
            } finally {
                stillInterrupted = Thread.interrupted();
            }
            assertThat(stillInterrupted).isTrue();
            IndexFiles.Checkpoint loaded = files.load("tag").orElseThrow();
            assertThat(loaded.position()).isEqualTo(end);
            assertThat(loaded.logGoesOn()).isFalse();
            byte[] state = new byte[loaded.state().remaining()];
            loaded.state().duplicate().get(state);
            assertThat(state).containsExactly(1, 2, 3);
            assertThat(files.size("rows")).isEqualTo(4096);
            assertThat(files.map("rows", 0, 4096).getInt(8)).isEqualTo(42);
            assertThat(files.load("another tag")).isEmpty();
            store.append(batch(2)); // the log is still open and locked
            assertThat(files.load("tag").orElseThrow().logGoesOn()).isTrue();
            files.discard();
            assertThat(files.load("tag")).isEmpty();
        }
    }

    @Test
    void aFileCannotBeOpenedTwice() throws IOException {
        FileStorageProvider provider = new FileStorageProvider(dir);
        try (GraphStore store = provider.open(GRAPH)) {
            assertThatThrownBy(() -> provider.open(GRAPH)).isInstanceOf(IOException.class).hasMessageContaining("already open");
            assertThat(store.graphId()).isEqualTo(GRAPH);
        }
    }

    @Test
    void aFileThatIsNotAGraphLogIsRefused() throws IOException {
        Files.writeString(dir.resolve(GRAPH.toHex() + ".graph"), "hello, not a log");
        FileStorageProvider provider = new FileStorageProvider(dir);
        assertThatThrownBy(() -> provider.open(GRAPH)).isInstanceOf(IOException.class).hasMessageContaining("not an aranya-sync graph log");
    }
}
