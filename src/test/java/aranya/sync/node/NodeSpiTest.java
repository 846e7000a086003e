package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Command;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.KeyId;
import aranya.sync.graph.Policy;
import aranya.sync.graph.PolicyContext;
import aranya.sync.graph.SignedContent;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.storage.InMemoryStorageProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The builder's SPIs: a node's storage, policy and verifier executor are the embedder's choice. */
class NodeSpiTest {
    @TempDir
    Path dir;

    @Test
    void aNodeWithItsGraphsInMemorySyncsBothWaysWithAFileNode() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            Path memoryDir = dir.resolve("memory");
            SyncNode memory = nodes.add(SyncNode.builder(memoryDir).storage(new InMemoryStorageProvider())
                    .listenAddress(Nodes.LOOPBACK).open());
            SyncNode file = nodes.client();
            GraphId team = Nodes.team(memory, file);
            file.syncNow(Nodes.at(memory), team, java.util.Optional.empty()); // the team's init command
            Nodes.write(memory, team, 5);
            Nodes.write(file, team, 5);
            file.syncNow(Nodes.at(memory), team, Nodes.BIDI);
            assertThat(memory.heads(team)).isEqualTo(file.heads(team));
            assertThat(memory.size(team)).isEqualTo(file.size(team)).isGreaterThanOrEqualTo(11);
            assertThat(Files.exists(memoryDir.resolve("graphs"))).as("no graph files for an in-memory node").isFalse();
        }
    }

    /** TeamMembersPolicy, and no command of kind "forbidden". */
    private static final class NoForbidden implements Policy {
        private final TeamMembersPolicy members = new TeamMembersPolicy();

        @Override
        public List<KeyId> grantedKeys(Command command, SignedContent content) {
            return members.grantedKeys(command, content);
        }

        @Override
        public void authorize(Command command, SignedContent content, PolicyContext context) throws SyncException {
            if (content.kind().equals("forbidden")) {
                throw new SyncException(SyncError.POLICY_REJECTED, "no forbidden commands here");
            }
            members.authorize(command, content, context);
        }
    }

    @Test
    void aNodeChecksReceivedCommandsWithThePolicyItWasGiven() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server();
            SyncNode strict = nodes.add(nodes.builder().policy(new NoForbidden()).open());
            GraphId team = Nodes.team(server, strict);
            strict.syncNow(Nodes.at(server), team, java.util.Optional.empty());
            server.append(team, "forbidden", new byte[] {1});
            SyncException e = catchThrowableOfType(SyncException.class, () -> strict.syncNow(Nodes.at(server), team, java.util.Optional.empty()));
            assertThat(e.error()).isEqualTo(SyncError.POLICY_REJECTED);
            assertThat(strict.size(team)).isEqualTo(1);
        }
    }

    @Test
    void receivedSignaturesAreCheckedOnTheVerifierExecutorItWasGiven() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        AtomicInteger tasks = new AtomicInteger();
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server();
            SyncNode client = nodes.add(nodes.builder().verifierExecutor(task -> {
                tasks.incrementAndGet();
                pool.execute(task);
            }).open());
            GraphId team = Nodes.team(server, client);
            Nodes.write(server, team, 64); // one batch, long enough to be checked in parallel
            client.syncNow(Nodes.at(server), team, java.util.Optional.empty());
            assertThat(client.heads(team)).isEqualTo(server.heads(team));
            assertThat(tasks.get()).isPositive();
        } finally {
            pool.shutdown();
        }
    }
}
