package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.graph.Command;
import aranya.sync.graph.CommandId;
import aranya.sync.graph.GraphId;
import aranya.sync.peers.HelloSubscriptionConfig;
import aranya.sync.peers.SyncPeerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hello notifications between nodes over QUIC: announced heads trigger syncs; subscriptions end. */
class HelloNotificationTest {
    private static final HelloSubscriptionConfig PROMPT = HelloSubscriptionConfig.builder()
            .graphChangeDelay(Duration.ZERO).scheduleDelay(Duration.ZERO).build();

    /** A latch that opens once node holds command. */
    private static CountDownLatch holds(SyncNode node, GraphId team, CommandId command) throws Exception {
        CountDownLatch latch = new CountDownLatch(1);
        node.onCommands(team, batch -> {
            if (batch.stream().anyMatch(c -> c.id().equals(command))) {
                latch.countDown();
            }
        });
        return latch;
    }

    @Test
    void aClientOnlySubscriberSyncsBothWaysWhenThePublisherAnnouncesAHeadItLacks(@TempDir Path dir) throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server();
            SyncNode client = nodes.client();
            GraphId team = Nodes.team(server, client);
            // Registered for bidirectional sync but never scheduled: only hellos make it sync.
            client.addSyncPeer(Nodes.at(server), team, SyncPeerConfig.builder().syncNow(false).bidirectional(true).build());
            Command init = server.commands(team).get(0);
            CountDownLatch clientHasInit = holds(client, team, init.id()); // before subscribing: the first hello comes at once
            try (HelloSubscription hello = client.subscribeHello(Nodes.at(server), team, PROMPT)) {
                assertThat(clientHasInit.await(20, TimeUnit.SECONDS)).isTrue();

                Command mine = client.append(team, "msg", "from the client".getBytes());
                CountDownLatch serverHasMine = holds(server, team, mine.id());
                Command theirs = server.append(team, "msg", "from the server".getBytes());
                CountDownLatch clientHasTheirs = holds(client, team, theirs.id());
                // The hello may bring it before the latch was registered, hence the look first.
                assertThat(client.commands(team).contains(theirs) || clientHasTheirs.await(20, TimeUnit.SECONDS)).isTrue();
                assertThat(serverHasMine.await(20, TimeUnit.SECONDS)).isTrue();
                assertThat(hello.hellosReceived()).isGreaterThanOrEqualTo(2);
                assertThat(server.helloSubscribers()).isEqualTo(1);
            }
        }
    }

    @Test
    void aSubscriptionExpiresOnBothSidesAtTheEndOfItsDuration(@TempDir Path dir) throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server();
            SyncNode client = nodes.client();
            GraphId team = Nodes.team(server, client);
            HelloSubscription hello = client.subscribeHello(Nodes.at(server), team,
                    HelloSubscriptionConfig.builder().duration(Duration.ofMillis(500)).scheduleDelay(Duration.ZERO).build());

            assertThat(hello.awaitEnd(Duration.ofSeconds(20))).isTrue();
            assertThat(hello.state()).isEqualTo(HelloSubscription.State.EXPIRED);
            assertThat(hello.hellosReceived()).isGreaterThanOrEqualTo(1);
            assertThat(server.helloSubscribers()).isZero();
            assertThat(client.commands(team)).extracting(Command::id).isEqualTo(List.of(server.commands(team).get(0).id()));
        }
    }

    @Test
    void closingASubscriptionEndsIt(@TempDir Path dir) throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server();
            SyncNode client = nodes.client();
            GraphId team = Nodes.team(server, client);
            CountDownLatch clientHasInit = holds(client, team, server.commands(team).get(0).id());
            HelloSubscription hello = client.subscribeHello(Nodes.at(server), team, PROMPT);
            assertThat(clientHasInit.await(20, TimeUnit.SECONDS)).isTrue();

            hello.close();
            assertThat(hello.awaitEnd(Duration.ofSeconds(20))).isTrue();
            assertThat(hello.state()).isEqualTo(HelloSubscription.State.CLOSED);
        }
    }
}
