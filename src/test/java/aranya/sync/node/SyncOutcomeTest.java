package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.peers.HelloSubscriptionConfig;
import aranya.sync.peers.SyncPeerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedder hears how every session ended, whatever started it (onSyncOutcome), and a JFR
 * recording shows timed session events and the server's refused team authentications.
 */
class SyncOutcomeTest {
    private static final long WAIT_SECONDS = 30;

    @TempDir
    Path dir;

    private static SyncOutcome.Succeeded next(BlockingQueue<SyncOutcome> outcomes, SyncOutcome.Trigger trigger) throws Exception {
        SyncOutcome o = outcomes.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(o).as("an outcome of a %s session", trigger).isInstanceOf(SyncOutcome.Succeeded.class);
        assertThat(o.trigger()).isEqualTo(trigger);
        return (SyncOutcome.Succeeded) o;
    }

    @Test
    void listenersHearOnDemandScheduledHelloAndServedSessionsUntilTheyUnregister() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server();
            SyncNode client = nodes.client();
            GraphId team = Nodes.team(server, client);
            BlockingQueue<SyncOutcome> served = new LinkedBlockingQueue<>();
            BlockingQueue<SyncOutcome> requested = new LinkedBlockingQueue<>();
            server.onSyncOutcome(served::add);
            SyncNode.Registration registration = client.onSyncOutcome(requested::add);

            Nodes.write(server, team, 3);
            client.syncNow(Nodes.at(server), team, Optional.empty());
            // Told on the session's thread before syncNow returned: no wait needed.
            SyncOutcome.Succeeded onDemand = (SyncOutcome.Succeeded) requested.remove();
            assertThat(onDemand.trigger()).isEqualTo(SyncOutcome.Trigger.ON_DEMAND);
            assertThat(onDemand.peer()).isEqualTo(Nodes.at(server));
            assertThat(onDemand.team()).contains(team);
            assertThat(onDemand.summary().added()).isEqualTo(4); // the team's init command and the three
            SyncOutcome.Succeeded servedOne = next(served, SyncOutcome.Trigger.SERVED);
            assertThat(servedOne.team()).contains(team);
            assertThat(servedOne.summary().sent()).isEqualTo(4);

            Nodes.write(server, team, 1);
            client.addSyncPeer(Nodes.at(server), team, SyncPeerConfig.builder().interval(Duration.ofHours(1)).build());
            assertThat(next(requested, SyncOutcome.Trigger.SCHEDULED).summary().added()).isEqualTo(1);
            next(served, SyncOutcome.Trigger.SERVED);
            client.removeSyncPeer(Nodes.at(server), team);

            Nodes.write(server, team, 1);
            // The first hello comes at once and names a head the client lacks: it syncs.
            try (HelloSubscription hello = client.subscribeHello(Nodes.at(server), team, HelloSubscriptionConfig.builder()
                    .graphChangeDelay(Duration.ZERO).scheduleDelay(Duration.ZERO).build())) {
                assertThat(next(requested, SyncOutcome.Trigger.HELLO).summary().added()).isEqualTo(1);
            }

            registration.close();
            registration.close(); // idempotent
            requested.clear();
            Nodes.write(server, team, 1);
            client.syncNow(Nodes.at(server), team, Optional.empty());
            assertThat(requested).isEmpty();
        }
    }

    @Test
    void aListenerThatThrowsDoesNotFailTheSyncOrOtherListeners() throws Exception {
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server();
            SyncNode client = nodes.client();
            GraphId team = Nodes.team(server, client);
            AtomicReference<SyncOutcome> second = new AtomicReference<>();
            client.onSyncOutcome(o -> {
                throw new IllegalStateException("a broken listener");
            });
            client.onSyncOutcome(second::set);
            client.syncNow(Nodes.at(server), team, Optional.empty());
            assertThat(second.get()).isInstanceOf(SyncOutcome.Succeeded.class);
        }
    }

    @Test
    void jfrShowsTimedSessionsAndTheServersRefusedAuthentication() throws Exception {
        BlockingQueue<RecordedEvent> events = new LinkedBlockingQueue<>();
        CountDownLatch both = new CountDownLatch(2);
        try (Nodes nodes = new Nodes(dir); RecordingStream recording = new RecordingStream()) {
            for (String name : List.of("aranya.sync.SyncCompleted", "aranya.sync.AuthFailed")) {
                recording.enable(name);
                recording.onEvent(name, e -> {
                    events.add(e);
                    both.countDown();
                });
            }
            recording.startAsync();
            SyncNode server = nodes.server();
            SyncNode member = nodes.client();
            SyncNode outsider = nodes.client();
            GraphId team = Nodes.team(server, member);
            byte[] wrong = server.credentials(team).secret().clone();
            wrong[0] ^= 1;
            outsider.joinTeam(new TeamCredentials(team, wrong));

            member.syncNow(Nodes.at(server), team, Optional.empty());
            SyncException refused = catchThrowableOfType(SyncException.class,
                    () -> outsider.syncNow(Nodes.at(server), team, Optional.empty()));
            assertThat(refused.error()).isEqualTo(SyncError.AUTH_FAILED);

            assertThat(both.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("both events recorded").isTrue();
            RecordedEvent completed = events.stream().filter(e -> e.getEventType().getName().equals("aranya.sync.SyncCompleted")).findFirst().orElseThrow();
            assertThat(completed.getDuration()).as("begun at the session's start, committed at its end").isPositive();
            assertThat(completed.getString("team")).isEqualTo(team.toHex());
            RecordedEvent authFailed = events.stream().filter(e -> e.getEventType().getName().equals("aranya.sync.AuthFailed")).findFirst().orElseThrow();
            assertThat(authFailed.getString("team")).isEqualTo(team.toHex());
            assertThat(authFailed.getString("error")).isEqualTo(SyncError.AUTH_FAILED.name());
            assertThat(authFailed.getString("peer_addr")).startsWith("127.0.0.1:");
            assertThat(authFailed.getDuration()).isPositive();
        }
    }
}
