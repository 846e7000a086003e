package aranya.sync.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.ForwardingStore;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.GraphStore;
import aranya.sync.graph.StoredBatch;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.storage.InMemoryStorageProvider;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The commit pipeline of a receiving session: order, atomic batches, and what a failure stops. */
class BatchCommitterTest {
    private static Command forge(Command real) {
        return new Command(real.id(), real.priority(), real.parent(), real.policy(), Bytes.of(new byte[] {1, 2, 3}));
    }

    @Test
    void batchesAreCommittedInOrderAndCountedOnce() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init); TestPeer client = TestPeer.of(init)) {
            List<Command> all = server.append(30, 8);
            int added;
            try (BatchCommitter committer = new BatchCommitter(client.graph, client.cache, "server")) {
                for (int i = 0; i < 30; i += 10) {
                    committer.submit(new ArrayList<>(all.subList(i, i + 10))); // each batch needs the one before it
                }
                committer.submit(all.subList(0, 5)); // already stored: not counted again
                added = committer.finish();
            }
            assertThat(added).isEqualTo(30);
            assertThat(client.graph.heads()).isEqualTo(server.graph.heads());
        }
    }

    @Test
    void aFailedBatchStopsTheCommitsAfterItAndItsErrorReachesTheSession() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init); TestPeer client = TestPeer.of(init)) {
            List<Command> all = server.append(20, 8);
            List<Command> bad = new ArrayList<>(all.subList(10, 20));
            bad.set(5, forge(bad.get(5)));
            // A valid batch that needs nothing of the bad one: only the stop keeps it out.
            List<Command> independent = TestPeer.chain(all.get(9).address(), 5, 8);
            BatchCommitter committer = new BatchCommitter(client.graph, client.cache, "server");
            committer.submit(all.subList(0, 10));
            committer.submit(bad);
            assertThatThrownBy(() -> {
                committer.submit(independent);
                committer.finish();
            }).isInstanceOfSatisfying(SyncException.class, e -> {
                assertThat(e.error()).isEqualTo(SyncError.MALFORMED);
                assertThat(e.getMessage()).startsWith("MALFORMED: ").doesNotContain("MALFORMED: MALFORMED"); // the code once
            });
            committer.close();
            assertThat(client.graph.size()).isEqualTo(11); // init and the first batch only
            assertThat(client.graph.contains(all.get(9).id())).isTrue();
            assertThat(client.graph.contains(all.get(10).id())).isFalse();
            assertThat(client.graph.contains(independent.get(0).id())).isFalse();
        }
    }

    @Test
    @Timeout(120) // before the fix the session hung here for good: a regression fails instead
    void anErrorWhileCommittingEndsTheSessionWithItsCauseInsteadOfHangingIt() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init)) {
            List<Command> all = server.append(40, 8);
            GraphId id = GraphId.of(init.id());
            GraphStore failing = new ForwardingStore(new InMemoryStorageProvider().open(id)) {
                @Override
                public StoredBatch append(List<Command> batch) throws java.io.IOException {
                    if (!batch.contains(init)) {
                        throw new OutOfMemoryError("simulated: Java heap space");
                    }
                    return super.append(batch);
                }
            };
            try (Graph graph = Graph.open(failing, new TeamMembersPolicy())) {
                graph.addCommands(List.of(init));
                BatchCommitter committer = new BatchCommitter(graph, new PeerCache(), "server");
                assertThatThrownBy(() -> {
                    for (int i = 0; i < 40; i += 2) { // more batches than the queue holds
                        committer.submit(new ArrayList<>(all.subList(i, i + 2)));
                    }
                    committer.finish();
                }).isInstanceOfSatisfying(SyncException.class, e -> {
                    assertThat(e.error()).isEqualTo(SyncError.STORAGE);
                    assertThat(e.getMessage()).contains("OutOfMemoryError", "simulated");
                });
                committer.close();
                assertThat(graph.size()).isEqualTo(1);
            }
        }
    }

    @Test
    void closingWithoutFinishingStillCommitsWhatWasSubmitted() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer server = TestPeer.of(init); TestPeer client = TestPeer.of(init)) {
            List<Command> all = server.append(10, 8);
            try (BatchCommitter committer = new BatchCommitter(client.graph, client.cache, "server")) {
                committer.submit(all); // the session fails here, say; close() runs
            }
            assertThat(client.graph.contains(all.get(9).id())).isTrue();
        }
    }

    @Test
    void aSessionWithNothingToCommitFinishesWithNothingAdded() throws Exception {
        Command init = TestPeer.newTeam();
        try (TestPeer client = TestPeer.of(init)) {
            BatchCommitter committer = new BatchCommitter(client.graph, client.cache, "server");
            committer.submit(List.of());
            assertThat(committer.finish()).isZero();
            committer.close();
            assertThat(client.graph.size()).isEqualTo(1);
        }
    }
}
