package aranya.sync.quic;

import static aranya.sync.quic.QuicFixtures.TEAM;
import static aranya.sync.quic.QuicFixtures.config;
import static aranya.sync.quic.QuicFixtures.listen;
import static aranya.sync.quic.QuicFixtures.open;
import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.SyncException;
import aranya.sync.protocol.MessageStream;
import aranya.sync.wire.Limits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The bidirectional one-stream pattern over real kwik on loopback. */
class EchoRoundTripTest {
    private static final int SESSIONS = 200;
    private static final int MANY = 3000;

    @Test
    void messagesGoBothWaysOnOneStreamWhileTheSendSideStaysOpen() throws Exception {
        List<Boolean> authenticated = new ArrayList<>();
        try (SyncListener listener = listen((stream, connection) -> {
                    authenticated.add(connection.isAuthenticated(TEAM));
                    QuicFixtures.echo(stream);
                }, config());
                SyncConnector connector = new SyncConnector(config());
                MessageStream stream = open(connector, listener)) {
            Random random = new Random(1);
            List<byte[]> sent = new ArrayList<>();
            for (int size : new int[] {1, 2, 1200, 100_000, Limits.MAX_SYNC_MESSAGE_SIZE}) {
                byte[] message = new byte[size];
                random.nextBytes(message);
                message[0] &= 0x7f; // as a sync message's first byte: 0x80 would mark an auth frame
                sent.add(message);
                stream.send(message);
            }
            for (byte[] message : sent) {
                assertThat(stream.receive()).hasValueSatisfying(reply -> assertThat(reply).isEqualTo(message));
            }
            stream.finish();
            assertThat(stream.receive()).as("the server's FIN after ours").isEmpty();
            assertThat(stream.peer()).isEqualTo("127.0.0.1:" + listener.localAddress().getPort());
            assertThat(connector.serverCertificateHash("127.0.0.1", listener.localAddress().getPort())).isPresent();
        }
        assertThat(authenticated).containsExactly(true);
    }

    @Test
    void twoHundredConcurrentSessionsAgainstOneListenerAllSucceed() throws Exception {
        AtomicInteger served = new AtomicInteger();
        try (SyncListener listener = listen((stream, connection) -> {
                    served.incrementAndGet();
                    QuicFixtures.echo(stream);
                }, config());
                SyncConnector connector = new SyncConnector(config())) {
            List<Future<Integer>> sessions = new ArrayList<>();
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < SESSIONS; i++) {
                    int session = i;
                    sessions.add(threads.submit(() -> conversation(connector, listener, session)));
                }
                for (int i = 0; i < SESSIONS; i++) {
                    assertThat(sessions.get(i).get(60, TimeUnit.SECONDS)).as("replies in session %d", i).isEqualTo(3);
                }
            }
        }
        assertThat(served).hasValue(SESSIONS);
    }

    /**
     * Many short bidirectional sessions, eight at a time, with messages of up to a few packets:
     * the case where kwik 0.10.8 strands the tail of a request (see StreamKicker) and both sides
     * wait for each other. Without the kicks about one session in a few thousand hangs until
     * its deadline when the machine is busy.
     */
    @Test
    void thousandsOfShortSessionsEightAtATimeAllFinish() throws Exception {
        AtomicInteger failures = new AtomicInteger();
        try (SyncListener listener = listen((stream, connection) -> QuicFixtures.echo(stream), config());
                SyncConnector connector = new SyncConnector(config())) {
            List<Future<Boolean>> sessions = new ArrayList<>();
            try (ExecutorService threads = Executors.newFixedThreadPool(8, Thread.ofVirtual().factory())) {
                for (int i = 0; i < MANY; i++) {
                    Random random = new Random(i);
                    sessions.add(threads.submit(() -> echoes(connector, listener, random)));
                }
                for (Future<Boolean> session : sessions) {
                    if (!session.get(60, TimeUnit.SECONDS)) {
                        failures.incrementAndGet();
                    }
                }
            }
        }
        assertThat(failures).as("sessions that failed of " + MANY).hasValue(0);
    }

    /** One to four messages of 1 to 3000 bytes echoed on one stream; whether all came back intact. */
    private static boolean echoes(SyncConnector connector, SyncListener listener, Random random) {
        try (MessageStream stream = connector.openStream(QuicFixtures.HOST, listener.localAddress().getPort(), TEAM,
                QuicFixtures.SECRET, Duration.ofSeconds(10))) {
            for (int i = random.nextInt(4); i >= 0; i--) {
                byte[] message = new byte[1 + random.nextInt(3000)];
                random.nextBytes(message);
                message[0] &= 0x7f; // as a sync message's first byte: 0x80 would mark an auth frame
                stream.send(message);
                if (!stream.receive().map(reply -> Arrays.equals(reply, message)).orElse(false)) {
                    return false;
                }
            }
            stream.finish();
            return stream.receive().isEmpty();
        } catch (IOException | SyncException e) {
            return false;
        }
    }

    /** Three messages out with the send side open, three replies in, then both FINs; returns the replies that matched. */
    private static int conversation(SyncConnector connector, SyncListener listener, int session) throws Exception {
        try (MessageStream stream = open(connector, listener)) {
            List<byte[]> sent = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                byte[] message = ("session " + session + " message " + i).getBytes(StandardCharsets.UTF_8);
                sent.add(message);
                stream.send(message);
            }
            int matched = 0;
            for (byte[] message : sent) {
                Optional<byte[]> reply = stream.receive();
                if (reply.isPresent() && Arrays.equals(reply.get(), message)) {
                    matched++;
                }
            }
            stream.finish();
            if (stream.receive().isPresent()) {
                throw new AssertionError("more than the echoes in session " + session);
            }
            return matched;
        }
    }
}
