package aranya.sync.quic;

import static aranya.sync.quic.QuicFixtures.listen;
import static aranya.sync.quic.QuicFixtures.open;
import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.protocol.MessageStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Repeated bulk transfers in both directions over real kwik, each on a fresh connection (where
 * kwik 0.10.8's lost send wake-up struck most often in the spike). With the kick workaround
 * every session must finish within its deadline. To watch the stall happen without it, run
 * this class by hand with {@code -Daranya.bulk.kick=false} (and expect TIMEOUT failures); the
 * round count and size can be raised with {@code -Daranya.bulk.rounds} and
 * {@code -Daranya.bulk.mib}.
 */
class BulkTransferTest {
    private static final int FRAME = 1 << 20;
    private static final int ROUNDS = Integer.getInteger("aranya.bulk.rounds", 6);
    private static final int MIB_PER_DIRECTION = Integer.getInteger("aranya.bulk.mib", 24);
    private static final boolean KICK = Boolean.parseBoolean(System.getProperty("aranya.bulk.kick", "true"));
    private static final byte[] BLOCK = new byte[FRAME];

    static {
        new Random(42).nextBytes(BLOCK);
    }

    @Test
    void repeatedBulkTransfersBothWaysFinishWithinTheSessionDeadline() throws Exception {
        TransportConfig base = QuicFixtures.config();
        TransportConfig config = base.toBuilder()
                .maxMessageSize(FRAME)
                .idleTimeout(Duration.ofSeconds(30))
                .kickInterval(KICK ? base.kickInterval() : Duration.ZERO)
                .build();
        BlockingQueue<Object> serverResults = new LinkedBlockingQueue<>();
        long clientKicks = 0;
        long started = System.nanoTime();
        try (SyncListener listener = listen((stream, connection) -> serverResults.add(bounce(stream)), config)) {
            for (int round = 0; round < ROUNDS; round++) {
                try (SyncConnector connector = new SyncConnector(config); MessageStream stream = open(connector, listener)) {
                    for (int i = 0; i < MIB_PER_DIRECTION; i++) {
                        stream.send(stamped(i));
                    }
                    stream.finish();
                    assertThat(readStamped(stream)).as("frames downloaded in round %d", round).isEqualTo(MIB_PER_DIRECTION);
                    clientKicks += connector.kicksFired();
                }
                assertThat(serverResults.poll(30, TimeUnit.SECONDS)).as("frames uploaded in round %d", round).isEqualTo(MIB_PER_DIRECTION);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            double megabytes = 2.0 * ROUNDS * MIB_PER_DIRECTION * FRAME / 1e6;
            System.out.printf("bulk transfer: %d rounds x %d MiB each way in %.1f s (%.1f MB/s), kick %s, kicks fired: client %d, server %d%n",
                    ROUNDS, MIB_PER_DIRECTION, seconds, megabytes / seconds, KICK ? config.kickInterval() : "off", clientKicks,
                    listener.kicksFired());
        }
    }

    /** The server: read every frame to the FIN, then send as many back and finish; returns the count or the failure. */
    private static Object bounce(MessageStream stream) {
        try {
            int frames = readStamped(stream);
            for (int i = 0; i < frames; i++) {
                stream.send(stamped(i));
            }
            stream.finish();
            return frames;
        } catch (Exception e) {
            return e;
        }
    }

    /** BLOCK with its first four bytes replaced by the frame's index, so lost, repeated or reordered frames show. */
    private static byte[] stamped(int index) {
        byte[] frame = BLOCK.clone();
        ByteBuffer.wrap(frame).putInt(index);
        return frame;
    }

    /** Reads frames to the FIN, checking each; returns how many there were. */
    private static int readStamped(MessageStream stream) throws Exception {
        int count = 0;
        for (Optional<byte[]> frame = stream.receive(); frame.isPresent(); frame = stream.receive()) {
            byte[] bytes = frame.get();
            if (bytes.length != FRAME || ByteBuffer.wrap(bytes).getInt() != count
                    || !Arrays.equals(bytes, 4, FRAME, BLOCK, 4, FRAME)) {
                throw new SyncException(SyncError.MALFORMED, "frame " + count + " arrived damaged");
            }
            count++;
        }
        return count;
    }
}
