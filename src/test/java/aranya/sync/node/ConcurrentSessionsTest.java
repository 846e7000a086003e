package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.graph.GraphId;
import aranya.sync.peers.SyncPeerConfig;
import aranya.sync.protocol.SyncSummary;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A thousand sync sessions at once against one server, over real QUIC on loopback. Each client
 * node keeps one pooled connection to the server, so every connection carries over a hundred
 * sessions at once; sessions alternate between two teams, so each connection's second team
 * authentication races with sessions already running on it; every third session is
 * bidirectional.
 */
class ConcurrentSessionsTest {
    private static final int SESSIONS = 1000;
    private static final int CLIENTS = 8;
    private static final int COMMANDS_PER_TEAM = 20;

    @TempDir
    Path dir;

    @Test
    void aThousandConcurrentSessionsAgainstOneServerAllSucceedAndConverge() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server();
            List<SyncNode> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(nodes.client());
            }
            List<GraphId> teams = List.of(Nodes.team(server, clients.toArray(SyncNode[]::new)),
                    Nodes.team(server, clients.toArray(SyncNode[]::new)));
            for (GraphId team : teams) {
                Nodes.write(server, team, COMMANDS_PER_TEAM);
            }
            int serverSize = server.size(teams.get(0));

            List<Session> sessions = new ArrayList<>();
            CountDownLatch ready = new CountDownLatch(SESSIONS);
            CountDownLatch go = new CountDownLatch(1);
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < SESSIONS; i++) {
                    SyncNode client = clients.get(i % CLIENTS);
                    GraphId team = teams.get(i / CLIENTS % teams.size());
                    Optional<SyncPeerConfig> config = i % 3 == 0 ? Nodes.BIDI : Optional.empty();
                    sessions.add(new Session(client, team, pool.submit(() -> {
                        ready.countDown();
                        if (!go.await(1, TimeUnit.MINUTES)) {
                            throw new TimeoutException("the sessions were never released");
                        }
                        return client.syncNow(Nodes.at(server), team, config);
                    })));
                }
                // All thousand are started and waiting before any of them dials: they really run at once.
                assertThat(ready.await(1, TimeUnit.MINUTES)).isTrue();
                go.countDown();

                List<String> failures = new ArrayList<>();
                for (int i = 0; i < sessions.size(); i++) {
                    try {
                        sessions.get(i).result().get(2, TimeUnit.MINUTES); // each is bounded by the 30 s session deadline
                    } catch (ExecutionException | TimeoutException e) {
                        failures.add("session " + i + ": " + (e.getCause() != null ? e.getCause() : e));
                    }
                }
                assertThat(failures).isEmpty();
            }

            for (GraphId team : teams) {
                assertThat(server.size(team)).as("the clients had nothing the server lacked").isEqualTo(serverSize);
                for (SyncNode client : clients) {
                    assertThat(client.heads(team)).isEqualTo(server.heads(team));
                    // However many sessions raced to bring them, each command was added once.
                    int added = sessions.stream().filter(s -> s.client() == client && s.team().equals(team))
                            .mapToInt(s -> s.result().resultNow().added()).sum();
                    assertThat(added).isEqualTo(serverSize);
                }
            }
        }
    }

    private record Session(SyncNode client, GraphId team, Future<SyncSummary> result) {}
}
