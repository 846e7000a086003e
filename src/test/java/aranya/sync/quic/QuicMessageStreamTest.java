package aranya.sync.quic;

import static aranya.sync.quic.QuicFixtures.HOST;
import static aranya.sync.quic.QuicFixtures.SECRET;
import static aranya.sync.quic.QuicFixtures.TEAM;
import static aranya.sync.quic.QuicFixtures.config;
import static aranya.sync.quic.QuicFixtures.listen;
import static aranya.sync.quic.QuicFixtures.open;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.protocol.MessageStream;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** How kwik's failures reach a MessageStream user: always as a SyncException with a code. */
class QuicMessageStreamTest {
    @Test
    void aPeerResetIsTransportWithKwiksExceptionKeptAsTheCause() throws Exception {
        try (SyncListener listener = listen((stream, connection) -> {
                    try {
                        stream.receive();
                    } catch (Exception e) {
                        // the reset below happens either way
                    }
                    stream.close();
                }, config());
                SyncConnector connector = new SyncConnector(config());
                MessageStream stream = open(connector, listener)) {
            stream.send(new byte[] {1});
            assertThatThrownBy(stream::receive).isInstanceOfSatisfying(SyncException.class, e -> {
                assertThat(e.error()).isEqualTo(SyncError.TRANSPORT);
                assertThat(e.getCause()).isInstanceOf(IOException.class);
            });
            assertThatThrownBy(stream::receive)
                    .as("the stream is closed after a failure")
                    .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.TRANSPORT));
        }
    }

    @Test
    void aFrameOverTheReceiversLimitFailsThereWithMessageTooLargeAndResetsTheStream() throws Exception {
        BlockingQueue<Throwable> serverFailures = new LinkedBlockingQueue<>();
        TransportConfig small = config().toBuilder().maxMessageSize(1000).build();
        try (SyncListener listener = listen((stream, connection) -> {
                    try {
                        stream.receive();
                        stream.receive();
                    } catch (Exception e) {
                        serverFailures.add(e);
                    }
                }, small);
                SyncConnector connector = new SyncConnector(config());
                MessageStream stream = open(connector, listener)) {
            stream.send(new byte[1000]);
            stream.send(new byte[1001]);
            assertThat(serverFailures.poll(30, TimeUnit.SECONDS))
                    .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.MESSAGE_TOO_LARGE));
            assertThatThrownBy(stream::receive)
                    .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.TRANSPORT));
        }
    }

    /**
     * kwik wakes a writer blocked on a stream that is reset by interrupting its thread, and may
     * do so twice (reset, then abort) or just as the writer wakes for another reason: the
     * interrupt must not stay behind on the caller, whose next wait would fail for no reason
     * (HostilePeerTest's thread found its next queue poll interrupted). The race is rare per
     * send, so the test sends many times.
     */
    @Test
    void aWriterWokenByAResetKeepsNoInterrupt() throws Exception {
        // Each 4 MiB send is still in kwik's send buffer when the listener's refusal of its length resets the stream.
        TransportConfig small = config().toBuilder().maxMessageSize(1000).build();
        TransportConfig large = config().toBuilder().maxMessageSize(4 << 20).build();
        int sends = 40;
        int interruptsLeft = 0;
        try (SyncListener listener = listen((stream, connection) -> {
                    try {
                        stream.receive();
                    } catch (Exception e) {
                        // MESSAGE_TOO_LARGE: the stream is reset, which is the point
                    }
                }, small);
                SyncConnector connector = new SyncConnector(large)) {
            for (int i = 0; i < sends; i++) {
                // kwik can also miss waking the writer at all; then our deadline ends the send, a wake-up of its own.
                try (MessageStream stream = connector.openStream(HOST, listener.localAddress().getPort(), TEAM, SECRET, Duration.ofSeconds(2))) {
                    assertThatThrownBy(() -> stream.send(new byte[4 << 20])).isInstanceOfSatisfying(SyncException.class,
                            e -> assertThat(e.error()).isIn(SyncError.TRANSPORT, SyncError.TIMEOUT));
                    if (Thread.interrupted()) {
                        interruptsLeft++;
                    }
                }
            }
        }
        assertThat(interruptsLeft).as("failed sends that left an interrupt on the caller, of %d", sends).isZero();
    }

    @Test
    void ourOwnOversizedMessageFailsBeforeAnythingIsSentAndTheStreamStaysUsable() throws Exception {
        TransportConfig small = config().toBuilder().maxMessageSize(1000).build();
        try (SyncListener listener = listen((stream, connection) -> QuicFixtures.echo(stream), config());
                SyncConnector connector = new SyncConnector(small);
                MessageStream stream = open(connector, listener)) {
            assertThatThrownBy(() -> stream.send(new byte[1001]))
                    .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.MESSAGE_TOO_LARGE));
            stream.send(new byte[1000]);
            assertThat(stream.receive()).hasValueSatisfying(reply -> assertThat(reply).hasSize(1000));
            stream.finish();
            assertThat(stream.receive()).isEmpty();
        }
    }

    @Test
    void closeIsIdempotentAndLaterCallsFailWithTransport() throws Exception {
        try (SyncListener listener = listen((stream, connection) -> QuicFixtures.echo(stream), config());
                SyncConnector connector = new SyncConnector(config())) {
            MessageStream stream = open(connector, listener);
            stream.close();
            stream.close();
            assertThatThrownBy(() -> stream.send(new byte[] {1}))
                    .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.TRANSPORT));
        }
    }

    @Test
    void sendingAfterFinishIsABug() throws Exception {
        try (SyncListener listener = listen((stream, connection) -> QuicFixtures.echo(stream), config());
                SyncConnector connector = new SyncConnector(config());
                MessageStream stream = open(connector, listener)) {
            stream.finish();
            assertThatThrownBy(() -> stream.send(new byte[] {1})).isInstanceOf(IllegalStateException.class);
            assertThat(stream.receive()).isEmpty();
        }
    }
}
