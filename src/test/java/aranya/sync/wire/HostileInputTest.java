package aranya.sync.wire;

import static aranya.sync.wire.WireAssertions.assertMalformed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Untrusted bytes: whatever arrives, decoding ends in a message or a {@link SyncException},
 * never another exception, a hang, or an allocation sized by a claim. A fresh seed each run;
 * it is in every failure message, and {@code -Daranya.test.seed=N} replays it.
 */
class HostileInputTest {
    private static final int RANDOM_INPUTS = 200_000;
    private static final int VALID_POOL = 300;

    private final long seed = Long.getLong("aranya.test.seed", System.nanoTime());
    private final Random random = new Random(seed);

    @Test
    void everyTruncationOfEveryVectorFails() {
        for (MessageKind kind : MessageKind.ALL) {
            for (Map.Entry<String, byte[]> vector : Vectors.load(kind.vectorFile()).entrySet()) {
                byte[] bytes = vector.getValue();
                for (int length = 0; length < bytes.length; length++) {
                    byte[] prefix = Arrays.copyOf(bytes, length);
                    Object decoded;
                    try {
                        decoded = kind.decode(prefix);
                    } catch (SyncException e) {
                        assertThat(e.error()).isEqualTo(SyncError.MALFORMED);
                        continue;
                    }
                    // The one prefix that is a message: a Poll without its flag, as v0.22 sends it.
                    Object expected = MessageVectorsTest.EXPECTED.get(vector.getKey());
                    assertThat(expected).as("%s cut to %d bytes decoded as %s", vector.getKey(), length, decoded)
                            .isInstanceOf(SyncType.Poll.class);
                    assertThat(length).isEqualTo(bytes.length - 1);
                    assertThat(decoded).isEqualTo(new SyncType.Poll(((SyncType.Poll) expected).request(), false));
                }
            }
        }
    }

    @Test
    void randomBytesAndMutationsDecodeOrFailCleanly() {
        RandomMessages messages = new RandomMessages(random);
        List<List<byte[]>> valid = new ArrayList<>();
        for (MessageKind kind : MessageKind.ALL) {
            List<byte[]> pool = new ArrayList<>(Vectors.load(kind.vectorFile()).values());
            for (int i = 0; i < VALID_POOL; i++) {
                Object message = kind == MessageKind.SYNC_TYPE ? messages.anySyncType()
                        : kind == MessageKind.SYNC_RESPONSE ? messages.anyResponse()
                        : messages.anyEnvelope();
                pool.add(kind.encode(message));
            }
            valid.add(pool);
        }
        for (int i = 0; i < RANDOM_INPUTS; i++) {
            int k = i % MessageKind.ALL.size();
            List<byte[]> pool = valid.get(k);
            byte[] input = switch (random.nextInt(4)) {
                case 0 -> randomBytes();
                case 1 -> replaceOneByte(pool.get(random.nextInt(pool.size())));
                case 2 -> flipOneBit(pool.get(random.nextInt(pool.size())));
                default -> {
                    byte[] message = pool.get(random.nextInt(pool.size()));
                    yield Arrays.copyOf(message, random.nextInt(message.length + 1));
                }
            };
            assertDecodesOrFailsCleanly(MessageKind.ALL.get(k), input);
        }
    }

    @Test
    void aLengthPrefixClaimingTwoGigabytesFailsWithoutAllocatingIt() {
        // Ok(bytes) claiming 2^31 and 2^31-16 bytes, with 3 present. Had the decoder allocated
        // the claim, a 2 GiB array would not fit the test JVM's 2 GiB heap.
        for (String claim : List.of("80 80 80 80 08", "f0 ff ff ff 07")) {
            byte[] input = Vectors.hex("00 " + claim + " 01 02 03");
            assertMalformed(() -> MessageCodec.decodeResponseEnvelope(input, 0, input.length), "only 3 left");
        }
        // A command meta claiming a 2^32-1 byte payload.
        byte[] response = Vectors.hex("00 01 00 01 20 bb*32 03 00 00 ff ff ff ff 0f 00 41 42");
        assertMalformed(() -> MessageCodec.decodeSyncResponse(response, 0, response.length), "4294967295");
    }

    private byte[] randomBytes() {
        byte[] bytes = new byte[random.nextInt(80)];
        random.nextBytes(bytes);
        if (bytes.length > 0) {
            bytes[0] = (byte) random.nextInt(6); // mostly a valid tag, so decoding gets further
        }
        return bytes;
    }

    private byte[] replaceOneByte(byte[] message) {
        byte[] mutated = message.clone();
        if (mutated.length > 0) {
            mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
        }
        return mutated;
    }

    private byte[] flipOneBit(byte[] message) {
        byte[] mutated = message.clone();
        if (mutated.length > 0) {
            mutated[random.nextInt(mutated.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return mutated;
    }

    /**
     * The input must be refused as malformed, or decode to a message whose encoding is the
     * input itself (so nothing was skipped or guessed); the only exception is a Poll without
     * the flag, which we re-encode with it.
     */
    private void assertDecodesOrFailsCleanly(MessageKind kind, byte[] input) {
        Object decoded;
        try {
            decoded = kind.decode(input);
        } catch (SyncException e) {
            if (e.error() != SyncError.MALFORMED) {
                fail(context(kind, input) + ": error " + e.error(), e);
            }
            return;
        } catch (RuntimeException | Error e) {
            throw new AssertionError(context(kind, input) + ": not a SyncException", e);
        }
        byte[] reencoded = kind.encode(decoded);
        boolean pollWithoutFlag = decoded instanceof SyncType.Poll poll
                && !poll.bidirectional()
                && reencoded.length == input.length + 1
                && Arrays.equals(reencoded, 0, input.length, input, 0, input.length);
        if (!pollWithoutFlag && !Arrays.equals(reencoded, input)) {
            fail(context(kind, input) + ": decoded as " + decoded + ", which re-encodes to "
                    + HexFormat.of().formatHex(reencoded));
        }
    }

    private String context(MessageKind kind, byte[] input) {
        return "seed " + seed + ", " + kind + " input " + HexFormat.of().formatHex(input);
    }
}
