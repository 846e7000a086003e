package aranya.sync.wire;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.Fuzzer;
import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Mutation fuzzing ({@link Fuzzer}) of what a peer sends: frames, and the three postcard
 * messages, seeded from the golden vectors and valid random messages of every variant.
 * Inputs per decoder: {@code -Daranya.fuzz.inputs=N}.
 */
class WireFuzzTest {
    private static final int RANDOM_SEEDS = 300;
    private static final int MAX_FRAME = Limits.MAX_SYNC_MESSAGE_SIZE;

    private final long seed = Fuzzer.seed();
    private final RandomMessages messages = new RandomMessages(new Random(seed));

    @Test
    void syncTypes() {
        fuzz(MessageKind.SYNC_TYPE, messages::anySyncType);
    }

    @Test
    void syncResponses() {
        fuzz(MessageKind.SYNC_RESPONSE, messages::anyResponse);
    }

    @Test
    void responseEnvelopes() {
        fuzz(MessageKind.ENVELOPE, messages::anyEnvelope);
    }

    @Test
    void frameStreams() {
        List<byte[]> seeds = new ArrayList<>();
        for (int i = 0; i < RANDOM_SEEDS; i++) {
            seeds.add(frames(i % 4));
        }
        Fuzzer.Report report = new Fuzzer("frames", seed, seeds).run(WireFuzzTest::readFrames);
        System.out.println(report);
        assertThat(report.refused()).isPositive();
    }

    /**
     * The oracle of a message decoder: the input is refused as malformed, or decodes to a
     * message whose encoding is the input itself (so nothing was skipped or guessed); the
     * only exception is a Poll without the flag, which we re-encode with it.
     */
    static Fuzzer.Target decodesToItself(MessageKind kind) {
        return input -> {
            Object decoded;
            try {
                decoded = kind.decode(input);
            } catch (SyncException e) {
                if (e.error() != SyncError.MALFORMED) {
                    throw new AssertionError(kind + ": error " + e.error(), e);
                }
                return Fuzzer.Outcome.REFUSED;
            }
            byte[] reencoded = kind.encode(decoded);
            boolean pollWithoutFlag = decoded instanceof SyncType.Poll poll
                    && !poll.bidirectional()
                    && reencoded.length == input.length + 1
                    && Arrays.equals(reencoded, 0, input.length, input, 0, input.length);
            if (!pollWithoutFlag && !Arrays.equals(reencoded, input)) {
                throw new AssertionError(kind + " decoded as " + decoded + ", which re-encodes to " + HexFormat.of().formatHex(reencoded));
            }
            return Fuzzer.Outcome.DECODED;
        };
    }

    /**
     * The oracle of the frame reader on a whole stream: it ends in a typed error, or in a
     * clean end after frames that, written again, are the input.
     */
    static Fuzzer.Outcome readFrames(byte[] input, int maxFrame) throws Exception {
        FrameReader reader = new FrameReader(new ByteArrayInputStream(input), maxFrame);
        ByteArrayOutputStream rewritten = new ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(rewritten, maxFrame);
        try {
            for (Optional<byte[]> frame = reader.readFrame(); frame.isPresent(); frame = reader.readFrame()) {
                writer.writeFrame(frame.get());
            }
        } catch (SyncException e) {
            if (!Set.of(SyncError.MALFORMED, SyncError.MESSAGE_TOO_LARGE).contains(e.error())) {
                throw new AssertionError("frame error " + e.error(), e);
            }
            return Fuzzer.Outcome.REFUSED;
        }
        if (!Arrays.equals(rewritten.toByteArray(), input)) {
            throw new AssertionError("the frames read, written again, are " + HexFormat.of().formatHex(rewritten.toByteArray()));
        }
        return Fuzzer.Outcome.DECODED;
    }

    private static Fuzzer.Outcome readFrames(byte[] input) throws Exception {
        return readFrames(input, MAX_FRAME);
    }

    private void fuzz(MessageKind kind, Supplier<Object> randomMessage) {
        List<byte[]> seeds = new ArrayList<>(Vectors.load(kind.vectorFile()).values());
        for (int i = 0; i < RANDOM_SEEDS; i++) {
            seeds.add(kind.encode(randomMessage.get()));
        }
        Fuzzer.Report report = new Fuzzer(kind.name(), seed, seeds).run(decodesToItself(kind));
        System.out.println(report);
        assertThat(report.refused()).isPositive();
        assertThat(report.decoded()).isPositive();
    }

    /** A stream of count frames, each holding a valid message of some kind. */
    private byte[] frames(int count) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(out, MAX_FRAME);
        try {
            for (int i = 0; i < count; i++) {
                writer.writeFrame(switch (i % 3) {
                    case 0 -> MessageCodec.encode(messages.anySyncType());
                    case 1 -> MessageCodec.encode(messages.anyResponse());
                    default -> MessageCodec.encode(messages.anyEnvelope());
                });
            }
        } catch (IOException | SyncException e) {
            throw new IllegalStateException("a valid message did not frame", e);
        }
        return out.toByteArray();
    }
}
