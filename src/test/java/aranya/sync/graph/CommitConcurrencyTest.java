package aranya.sync.graph;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.graph.storage.InMemoryStorageProvider;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A batch being written to the store (and fsync'd) does not block readers: they go on, and
 * see the graph as it was until the batch is stored and published.
 */
class CommitConcurrencyTest {
    @Test
    void readersGoOnWhileABatchIsStoredAndSeeItOnlyOnceItIsDurable() throws Exception {
        DeviceKey founder = DeviceKey.generate();
        Command init = TeamMembersPolicy.createTeam(founder, List.of());
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        GraphStore real = new InMemoryStorageProvider().open(GraphId.of(init.id()));
        boolean[] hold = {false};
        GraphStore slow = new ForwardingStore(real) {
            @Override
            public StoredBatch append(List<Command> batch) throws IOException {
                if (hold[0]) {
                    writing.countDown();
                    try {
                        // Stands for a slow write and fsync; bounded so that a broken graph fails the test, not hangs it.
                        assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
                return super.append(batch);
            }
        };
        try (Graph graph = Graph.open(slow, new TeamMembersPolicy());
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            graph.addCommands(List.of(init));
            Command first = graph.append(founder, Priority.basic(1), "first", Bytes.EMPTY);
            hold[0] = true;
            CompletableFuture<Command> second = CompletableFuture.supplyAsync(() -> {
                try {
                    return graph.append(founder, Priority.basic(1), "second", Bytes.EMPTY);
                } catch (aranya.sync.SyncException e) {
                    throw new IllegalStateException(e);
                }
            }, threads);
            assertThat(writing.await(30, TimeUnit.SECONDS)).as("the batch reached the store").isTrue();
            // Readers on other threads finish while the batch is held in the store.
            CompletableFuture<List<Address>> heads = CompletableFuture.supplyAsync(graph::heads, threads);
            CompletableFuture<Integer> missing = CompletableFuture.supplyAsync(() -> graph.missing(List.of(init.address())).size(), threads);
            assertThat(heads.get(30, TimeUnit.SECONDS)).containsExactly(first.address());
            assertThat(missing.get(30, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(graph.size()).isEqualTo(2);
            assertThat(second).isNotDone();
            release.countDown();
            Command stored = second.get(30, TimeUnit.SECONDS);
            assertThat(graph.heads()).containsExactly(stored.address());
            assertThat(graph.size()).isEqualTo(3);
        }
    }
}
