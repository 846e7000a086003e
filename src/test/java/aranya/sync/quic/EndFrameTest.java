package aranya.sync.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tech.kwik.core.QuicStream;

/**
 * How a stream's messages end and how it is torn down (no FIN, see {@link QuicMessageStream}),
 * and the kicks, over a stand-in for kwik's stream that records what is done to it.
 */
class EndFrameTest {
    private static final HexFormat HEX = HexFormat.of();

    private final TransportTimer timer = new TransportTimer("end-frame-test-timer");

    @AfterEach
    void stopTimer() {
        timer.close();
    }

    /** kwik's stream reduced to two byte streams; records aborts, resets, FINs and zero-length writes. */
    private static class FakeStream implements QuicStream {
        final InputStream in;
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        final List<String> events = new CopyOnWriteArrayList<>();
        final CountDownLatch kicked = new CountDownLatch(1);
        volatile boolean reset;

        FakeStream(InputStream in) {
            this.in = in;
        }

        @Override
        public InputStream getInputStream() {
            return in;
        }

        @Override
        public OutputStream getOutputStream() {
            return new OutputStream() {
                @Override
                public void write(byte[] data, int offset, int length) throws IOException {
                    if (reset) {
                        throw new IOException("output stream is reset");
                    }
                    if (length == 0) {
                        kicked.countDown();
                    }
                    synchronized (written) {
                        written.write(data, offset, length);
                    }
                }

                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void close() {
                    events.add("FIN");
                }
            };
        }

        String output() {
            synchronized (written) {
                return HEX.formatHex(written.toByteArray());
            }
        }

        @Override
        public int getStreamId() {
            return 0;
        }

        @Override
        public boolean isUnidirectional() {
            return false;
        }

        @Override
        public boolean isClientInitiatedBidirectional() {
            return true;
        }

        @Override
        public boolean isServerInitiatedBidirectional() {
            return false;
        }

        @Override
        public void abortReading(long errorCode) {
            events.add("abortReading " + errorCode);
        }

        @Override
        public void resetStream(long errorCode) {
            events.add("reset " + errorCode);
            reset = true;
        }
    }

    private QuicMessageStream over(FakeStream stream, Duration kickInterval) throws Exception {
        TransportConfig config = QuicFixtures.config().toBuilder().kickInterval(kickInterval).build();
        return QuicMessageStream.accept(stream, null, "fake", SessionDeadline.fixed(timer, Duration.ofSeconds(20)), config, timer);
    }

    private static InputStream bytes(String hex) {
        return new ByteArrayInputStream(HEX.parseHex(hex));
    }

    @Test
    void finishSendsAnEmptyFrameAndNeverAFin() throws Exception {
        FakeStream fake = new FakeStream(bytes("0000000178" + "00000000"));
        try (QuicMessageStream stream = over(fake, Duration.ofSeconds(10))) {
            stream.send(new byte[] {0x41});
            stream.finish();
            stream.finish();
            assertThat(stream.receive()).hasValueSatisfying(m -> assertThat(m).containsExactly(0x78));
            assertThat(stream.receive()).as("the peer's empty frame ends its messages").isEmpty();
            assertThat(stream.receive()).isEmpty();
        }
        assertThat(fake.output()).isEqualTo("0000000141" + "00000000");
        assertThat(fake.events).as("a complete session ends our reading; the peer then ends our send side")
                .containsExactly("abortReading " + QuicMessageStream.ENDED_NORMALLY);
    }

    @Test
    void thePeersFinAlsoEndsItsMessagesAndNothingAfterItsEndFrameIsRead() throws Exception {
        try (QuicMessageStream stream = over(new FakeStream(bytes("0000000178")), Duration.ofSeconds(10))) {
            assertThat(stream.receive()).isPresent();
            assertThat(stream.receive()).isEmpty();
        }
        try (QuicMessageStream stream = over(new FakeStream(bytes("00000000" + "0000000178")), Duration.ofSeconds(10))) {
            assertThat(stream.receive()).isEmpty();
            assertThat(stream.receive()).isEmpty();
        }
    }

    @Test
    void anEmptyMessageCannotBeSentSinceItWouldEndTheMessages() throws Exception {
        try (QuicMessageStream stream = over(new FakeStream(bytes("")), Duration.ofSeconds(10))) {
            assertThatThrownBy(() -> stream.send(new byte[0])).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void closingBeforeFinishingAbortsBothDirections() throws Exception {
        FakeStream fake = new FakeStream(bytes(""));
        QuicMessageStream stream = over(fake, Duration.ofSeconds(10));
        stream.send(new byte[] {0x41});
        stream.close();
        stream.close();
        assertThat(fake.events).containsExactly("abortReading " + SyncError.TRANSPORT.code(), "reset " + SyncError.TRANSPORT.code());
    }

    @Test
    void aWriteThatIsStuckIsKickedFree() throws Exception {
        FakeStream[] fake = new FakeStream[1];
        // Stands in for kwik's send buffer when its sender has lost track of it: the write goes on only once kicked.
        fake[0] = new FakeStream(bytes("")) {
            @Override
            public OutputStream getOutputStream() {
                OutputStream recording = super.getOutputStream();
                return new OutputStream() {
                    @Override
                    public void write(byte[] data, int offset, int length) throws IOException {
                        if (length > 4) {
                            awaitKick(fake[0].kicked);
                        }
                        recording.write(data, offset, length);
                    }

                    @Override
                    public void write(int b) throws IOException {
                        recording.write(b);
                    }
                };
            }
        };
        try (QuicMessageStream stream = over(fake[0], Duration.ofMillis(10))) {
            stream.send(new byte[100]);
            stream.finish();
        }
        // The message went through, so a kick came while it was stuck (awaitKick fails the write otherwise).
        assertThat(fake[0].kicked.getCount()).isZero();
        assertThat(fake[0].output()).isEqualTo("00000064" + "00".repeat(100) + "00000000");
    }

    private static void awaitKick(CountDownLatch kicked) throws IOException {
        try {
            if (!kicked.await(10, TimeUnit.SECONDS)) {
                throw new IOException("stuck: no kick came");
            }
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
    }
}
