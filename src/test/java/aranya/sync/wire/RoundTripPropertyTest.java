package aranya.sync.wire;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.SyncException;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * decode(encode(m)) == m for random messages of every variant, and encode(decode(b)) == b for
 * the bytes produced. A fresh seed each run; it is in every failure message, and
 * {@code -Daranya.test.seed=N} replays it.
 */
class RoundTripPropertyTest {
    private static final int PER_VARIANT = 300;

    private final long seed = Long.getLong("aranya.test.seed", System.nanoTime());
    private final RandomMessages messages = new RandomMessages(new Random(seed));

    @Test
    void everySyncTypeVariantRoundTrips() throws SyncException {
        for (int variant = 0; variant < RandomMessages.SYNC_TYPE_VARIANTS; variant++) {
            for (int i = 0; i < PER_VARIANT; i++) {
                assertRoundTrips(MessageKind.SYNC_TYPE, messages.syncType(variant));
            }
        }
    }

    @Test
    void everySyncResponseMessageVariantRoundTrips() throws SyncException {
        for (int variant = 0; variant < RandomMessages.RESPONSE_VARIANTS; variant++) {
            for (int i = 0; i < PER_VARIANT; i++) {
                assertRoundTrips(MessageKind.SYNC_RESPONSE, messages.response(variant));
            }
        }
    }

    @Test
    void everyResponseEnvelopeVariantRoundTrips() throws SyncException {
        for (int variant = 0; variant < RandomMessages.ENVELOPE_VARIANTS; variant++) {
            for (int i = 0; i < PER_VARIANT; i++) {
                assertRoundTrips(MessageKind.ENVELOPE, messages.envelope(variant));
            }
        }
    }

    @Test
    void aMessageDecodesFromTheMiddleOfALargerArray() throws SyncException {
        for (int i = 0; i < PER_VARIANT; i++) {
            SyncType message = messages.anySyncType();
            byte[] bytes = MessageCodec.encode(message);
            byte[] padded = new byte[bytes.length + 10];
            java.util.Arrays.fill(padded, (byte) 0xff);
            System.arraycopy(bytes, 0, padded, 3, bytes.length);
            assertThat(MessageCodec.decodeSyncType(padded, 3, bytes.length)).as("seed %d", seed).isEqualTo(message);
        }
    }

    private void assertRoundTrips(MessageKind kind, Object message) throws SyncException {
        byte[] bytes = kind.encode(message);
        Object decoded = kind.decode(bytes);
        String context = "seed " + seed + ", " + kind + " " + message + ", bytes " + HexFormat.of().formatHex(bytes);
        assertThat(decoded).as(context).isEqualTo(message);
        assertThat(kind.encode(decoded)).as(context).isEqualTo(bytes);
    }
}
